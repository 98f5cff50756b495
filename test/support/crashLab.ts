import fs from 'node:fs';
import { makeTempDir, requireBuild, startChildServer, type ChildServer, type SpawnOptions } from './childServer';
import { startFakeKling, type FakeKling, type FakeKlingOptions } from './fakeKling';

/** What a kill -9 test works with: a built server, a directory of its own, and one fake upstream. */
export interface CrashLab {
  readonly dir: string;
  readonly fake: FakeKling;
  /** starts `node dist/index.js` as a child; every child started is disposed of after the describe block */
  start(options: SpawnOptions): Promise<ChildServer>;
}

/**
 * Registers the describe block's set-up and clean-up (beforeAll/afterAll): the build is checked, a temp directory
 * made and the fake started before the tests; after them every child is killed, the fake closed, the directory gone.
 */
export function useCrashLab(prefix: string, fakeOptions: FakeKlingOptions): CrashLab {
  let dir = '';
  let fake: FakeKling | undefined;
  const children: ChildServer[] = [];
  beforeAll(async () => {
    requireBuild();
    dir = makeTempDir(prefix);
    fake = await startFakeKling(fakeOptions);
  });
  afterAll(async () => {
    await Promise.all(children.map((child) => child.dispose()));
    await fake?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  return {
    get dir() {
      return dir;
    },
    get fake() {
      if (!fake) throw new Error('the crash lab is used before its beforeAll ran');
      return fake;
    },
    async start(options) {
      const child = await startChildServer(options);
      children.push(child);
      return child;
    },
  };
}
