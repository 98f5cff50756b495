import path from 'node:path';

/**
 * Where things are, seen from the compiled harness (bench/dist/bench/*.js). The server under test is the
 * production build in dist/ (what `npm start` runs), never a second compilation of src/.
 */
export const ROOT = path.resolve(__dirname, '../../..');
export const DIST = path.join(ROOT, 'dist');
export const BENCH_DIR = path.join(ROOT, 'bench');
export const PROFILE_DIR = path.join(BENCH_DIR, 'profiles');
export const RESULTS_FILE = path.join(BENCH_DIR, 'results.json');
/** compiled child entries live next to this file */
export const childEntry = (name: 'serve' | 'fakeUpstream' | 'bare'): string => path.join(__dirname, `${name}.js`);
