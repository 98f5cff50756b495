import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ArchiveStorage } from './ArchiveStorage';

/** Downloads in progress, under the root but apart from the served files: a name here is never a media URL. */
const INCOMING = '.incoming';

/**
 * Copies in a directory (ARCHIVE_DIR, by default ./data/media). A copy is written to a temporary file in
 * `.incoming/`, flushed to disk, then renamed into place (atomic within one file system): a crash (kill -9,
 * power cut) leaves at most a stray temporary file, never a partial video under its served name.
 */
export class FsArchiveStorage implements ArchiveStorage {
  readonly kind = 'fs';

  /** `staleAfterMs`: an `.incoming` file older than this belongs to no live download (the download timeout and more) */
  constructor(
    readonly root: string,
    private readonly staleAfterMs: number,
  ) {}

  async start(): Promise<void> {
    await fs.promises.mkdir(path.join(this.root, INCOMING), { recursive: true });
    await this.removeStaleIncoming(Date.now());
  }

  /** the file behind a key (for the media route) */
  fileOf(key: string): string {
    return path.join(this.root, key);
  }

  async save(key: string, body: Readable, signal: AbortSignal): Promise<void> {
    const final = this.fileOf(key);
    const temporary = path.join(this.root, INCOMING, `${randomUUID()}.part`);
    try {
      await pipeline(body, fs.createWriteStream(temporary, { flags: 'wx' }), { signal });
      await fsyncPath(temporary, 'r+');
      await fs.promises.mkdir(path.dirname(final), { recursive: true });
      await fs.promises.rename(temporary, final);
      await fsyncPath(path.dirname(final), 'r'); // the rename itself survives a power cut
    } catch (error) {
      await fs.promises.rm(temporary, { force: true });
      throw error;
    }
  }

  async remove(key: string): Promise<void> {
    await fs.promises.rm(this.fileOf(key), { force: true });
  }

  async close(): Promise<void> {}

  private async removeStaleIncoming(now: number): Promise<void> {
    const dir = path.join(this.root, INCOMING);
    for (const name of await fs.promises.readdir(dir)) {
      const file = path.join(dir, name);
      const stat = await fs.promises.stat(file).catch(() => null);
      if (stat && now - stat.mtimeMs > this.staleAfterMs) await fs.promises.rm(file, { force: true });
    }
  }
}

async function fsyncPath(file: string, flags: 'r' | 'r+'): Promise<void> {
  const handle = await fs.promises.open(file, flags);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
