import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const BENCH_SOURCES = [
  ...fs.readdirSync(path.join(ROOT, 'bench')).map((name) => path.join('bench', name)),
  ...fs.readdirSync(path.join(ROOT, 'bench', 'scenarios')).map((name) => path.join('bench', 'scenarios', name)),
].filter((file) => file.endsWith('.ts'));

/** Every `path.join(DIST, 'a', 'b.js')` of the harness, as the parts after DIST. */
function distModules(): { file: string; parts: string[] }[] {
  return BENCH_SOURCES.flatMap((file) =>
    [...fs.readFileSync(path.join(ROOT, file), 'utf8').matchAll(/path\.join\(DIST, ([^)]+)\)/g)].map(([, args]) => ({
      file,
      parts: [...args.matchAll(/'([^']+)'/g)].map(([, part]) => part),
    })),
  );
}

/**
 * `npm run bench` runs the production build (dist/) and is not part of `npm test`, so a module it loads by path
 * can be renamed without any test noticing (the config split once left B1's server unable to start from a fresh
 * clone). Each such path must name a module that src/ compiles to.
 */
describe('the benchmark harness', () => {
  it('loads from dist/ only modules that src/ builds', () => {
    const modules = distModules();
    expect(modules.length).toBeGreaterThan(0);
    for (const { file, parts } of modules) {
      const source = path.join(ROOT, 'src', ...parts);
      // `x.js` is a file only; `x` is resolved by require as x.js or x/index.js
      const built = source.endsWith('.js')
        ? fs.existsSync(source.replace(/\.js$/, '.ts'))
        : fs.existsSync(`${source}.ts`) || fs.existsSync(path.join(source, 'index.ts'));
      expect({ file, module: parts.join('/'), built }).toEqual({ file, module: parts.join('/'), built: true });
    }
  });
});
