import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const GENERATED = 'examples/web/src/gql';

/** Every file under dir, as paths relative to it, sorted. */
function filesUnder(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => fs.statSync(path.join(dir, f)).isFile())
    .sort();
}

/**
 * The typed operations in examples/web/src/gql/ are generated (`npm run codegen`) from schema.graphql and the
 * operations in examples/web/src. Regenerated into a temporary copy, they must equal the committed files.
 */
describe('generated client operations', () => {
  it('are fresh: `npm run codegen` would leave examples/web/src/gql/ unchanged', () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lipsync-codegen-'));
    try {
      // The config's paths are relative to where it runs, so a copy of its inputs regenerates beside them.
      fs.copyFileSync(path.join(ROOT, 'schema.graphql'), path.join(work, 'schema.graphql'));
      fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(work, 'node_modules'), 'dir'); // the preset is found from there
      fs.cpSync(path.join(ROOT, 'examples/web/src'), path.join(work, 'examples/web/src'), {
        recursive: true,
        filter: (source) => !source.startsWith(path.join(ROOT, GENERATED)),
      });
      const cli = path.join(ROOT, 'node_modules', '.bin', 'graphql-codegen');
      execFileSync(process.execPath, [cli, '--config', path.join(ROOT, 'examples/web/codegen.ts'), '--silent'], {
        cwd: work,
        stdio: 'pipe',
      });

      const fresh = path.join(work, GENERATED);
      const committed = path.join(ROOT, GENERATED);
      expect(filesUnder(committed)).toEqual(filesUnder(fresh));
      for (const file of filesUnder(fresh)) {
        const hint = `${GENERATED}/${file} is stale: run npm run codegen`;
        const text = (dir: string) => fs.readFileSync(path.join(dir, file), 'utf8');
        expect({ hint, text: text(committed) }).toEqual({ hint, text: text(fresh) });
      }
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }, 120_000);
});
