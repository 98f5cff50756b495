import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import send from 'send';
import { sendJson } from './json';

export const DEMO_PATH = '/demo';
/**
 * Every .mp4 under this path is the bundled sample video, so the simulated upstream's videos
 * (src/upstream/simulated/TaskBook.ts) point here and actually play in the demo.
 */
export const DEMO_MEDIA_PATH = `${DEMO_PATH}/media`;

const ROOT = path.resolve(__dirname, '..', '..');
/** where `npm run build:web` writes the app (examples/web/vite.config.ts) */
const APP_DIR = path.join(ROOT, 'examples', 'web', 'dist');
const MEDIA_DIR = path.join(ROOT, 'examples', 'web', 'media');
const SAMPLE_VIDEO = 'sample.mp4';

/** False until `npm run build:web` has run. */
export function demoAppBuilt(): boolean {
  return fs.existsSync(path.join(APP_DIR, 'index.html'));
}

export function isDemoPath(urlPath: string | undefined): urlPath is string {
  return urlPath === DEMO_PATH || Boolean(urlPath?.startsWith(`${DEMO_PATH}/`));
}

/**
 * GET /demo: the built example web app (examples/web) and the sample video. `send` does the file work
 * (ranges, which <video> asks for, conditional requests, content types, and refusing paths out of the root).
 */
export function createDemoRoute() {
  return function demoRoute(req: IncomingMessage, res: ServerResponse, urlPath: string): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return sendJson(res, 405, { error: 'method not allowed' });
    }
    const isMedia = urlPath.startsWith(`${DEMO_MEDIA_PATH}/`) && urlPath.endsWith('.mp4');
    const file = isMedia ? `/${SAMPLE_VIDEO}` : appFile(urlPath);
    send(req, file, { root: isMedia ? MEDIA_DIR : APP_DIR, index: false })
      .on('error', (error: { status?: number }) => {
        if (res.headersSent) return void res.destroy();
        const status = error.status ?? 500;
        if (status !== 404) return sendJson(res, status, { error: 'cannot serve this file' });
        sendJson(res, 404, { error: demoAppBuilt() ? 'not found' : 'the demo is not built: run `npm run build:web`' });
      })
      .pipe(res);
  };
}

/** `/demo` and `/demo/` are the page; the rest are its assets, relative to the build directory. */
function appFile(urlPath: string): string {
  const rest = urlPath.slice(DEMO_PATH.length);
  return rest === '' || rest === '/' ? '/index.html' : rest;
}
