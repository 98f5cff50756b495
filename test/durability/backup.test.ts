import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { CREATE_MUTATION, startTestServer, TEXT_INPUT, type TestServer } from '../support/testServer';

const run = promisify(execFile);
const SCRIPT = path.resolve(__dirname, '../../scripts/backup-sqlite.js');

describe('online backup of the SQLite store (scripts/backup-sqlite.js)', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.close());

  it('copies every acknowledged task while the server keeps running', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await t.client.request(CREATE_MUTATION, { input: TEXT_INPUT });
      ids.push(res.body.data!.createLipSync.id);
    }
    const target = path.join(path.dirname(t.databaseFile), 'backup.db');
    const { stdout } = await run(process.execPath, [SCRIPT, t.databaseFile, target]);
    expect(stdout).toMatch(/backup: .* pages\)/);
    const copy = new Database(target, { readonly: true });
    try {
      expect(copy.prepare('PRAGMA integrity_check').pluck().get() as string).toBe('ok');
      expect(copy.prepare('SELECT COUNT(*) FROM tasks').pluck().get()).toBe(ids.length);
    } finally {
      copy.close();
    }
    // the server is untouched: it still answers and writes
    expect((await t.client.request(CREATE_MUTATION, { input: TEXT_INPUT })).body.errors).toBeUndefined();
    fs.rmSync(target);
  });

  it('refuses to run without a target, and names a missing database', async () => {
    await expect(run(process.execPath, [SCRIPT])).rejects.toMatchObject({ code: 2 });
    await expect(run(process.execPath, [SCRIPT, '/nonexistent/x.db', '/tmp/y.db'])).rejects.toMatchObject({
      stderr: expect.stringContaining('/nonexistent/x.db does not exist'),
    });
  });
});
