// `npm install` / `npm ci` run this (npm's `prepare` step), so a checkout is built once and `npm start` only
// starts it. Where there is nothing to build from (the Docker image installs before copying src/) or nothing
// to build with (`npm ci --omit=dev` leaves TypeScript out), it builds nothing and says so.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
if (!fs.existsSync(path.join(root, 'src', 'index.ts'))) process.exit(0);
let tsc;
try {
  tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
} catch {
  const built = fs.existsSync(path.join(root, 'dist', 'index.js'));
  console.warn(
    `lipsync-graph: TypeScript is not installed, so dist/ was not rebuilt${built ? '' : ' (and there is none: run `npm install` with dev dependencies)'}`,
  );
  process.exit(0);
}
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
