import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const WEB_SRC = path.join(ROOT, 'examples/web/src');

/** The code block under README.md's "Use it from your web app". */
function readmeSnippet(): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const block = /\*\*Use it from your web app\*\*[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme);
  if (!block) throw new Error('README.md has no "Use it from your web app" snippet');
  return block[1];
}

/**
 * README's first-screen snippet is the demo's typed client in use: type-checked here, as a module beside the
 * demo's sources, with the demo's compiler options (so a wrong field or variable fails this test).
 */
describe("README's web app snippet", () => {
  it('type-checks against the demo typed client (examples/web/src)', () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lipsync-snippet-'));
    try {
      const snippet = readmeSnippet().replace(
        /from '\.\/(\w+)'/g,
        (_all, name: string) => `from ${JSON.stringify(path.join(WEB_SRC, name))}`,
      );
      expect(snippet).toContain(WEB_SRC);
      fs.writeFileSync(path.join(work, 'snippet.ts'), snippet);
      const tsconfig = { extends: path.join(ROOT, 'examples/web/tsconfig.json'), include: [], files: ['snippet.ts'] };
      fs.writeFileSync(path.join(work, 'tsconfig.json'), JSON.stringify(tsconfig));
      const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
      try {
        execFileSync(process.execPath, [tsc, '--noEmit', '-p', path.join(work, 'tsconfig.json')], {
          cwd: work,
          stdio: 'pipe',
        });
      } catch (error) {
        throw new Error(
          `the README snippet does not type-check:\n${(error as { stdout?: Buffer }).stdout?.toString() ?? error}`,
          {
            cause: error,
          },
        );
      }
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }, 60_000);
});
