import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A temporary directory for one test file's SQLite files, removed afterwards. */
export function useTempDir(): { path(...parts: string[]): string } {
  let dir = '';
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lipsync-store-'));
  });
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { path: (...parts) => path.join(dir, ...parts) };
}
