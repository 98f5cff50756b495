import type { IncomingMessage, ServerResponse } from 'node:http';
import send from 'send';
import type { ArchiveStore } from '../store/archive/ArchiveStore';
import type { FsArchiveStorage } from '../services/archive/FsArchiveStorage';
import { parseMediaPath, type MediaUrlSigner } from '../services/archive/MediaUrlSigner';
import { sendJson } from './json';

export { MEDIA_PATH_PREFIX } from '../services/archive/MediaUrlSigner';

export interface MediaRouteOptions {
  archives: ArchiveStore;
  storage: FsArchiveStorage;
  signer: MediaUrlSigner;
  now: () => number;
}

/**
 * GET/HEAD /media/<task>/<video>.mp4?exp=…&sig=…: an archived video kept on disk, for whoever holds a valid
 * signed URL (no bearer header: it plays in a <video> tag). 403 for a wrong, expired or foreign signature (and
 * for an unknown video: nothing tells the two apart), 410 once retention deleted the copy. `send` does the file
 * work: Range (206/416) for seeking, HEAD, conditional requests; the ETag is the copy's SHA-256.
 */
export function createMediaRoute(options: MediaRouteOptions) {
  const { archives, storage, signer, now } = options;
  return async function mediaRoute(req: IncomingMessage, res: ServerResponse, urlPath: string): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return sendJson(res, 405, { error: 'method not allowed' });
    }
    const ids = parseMediaPath(urlPath);
    const query = new URLSearchParams(req.url?.slice(urlPath.length + 1) ?? '');
    const expires = Number(query.get('exp'));
    const signature = query.get('sig') ?? '';
    const row = ids && Number.isSafeInteger(expires) ? await archives.get(ids.taskId, ids.videoId) : null;
    const valid =
      ids !== null &&
      row !== null &&
      row.storage === 'fs' &&
      expires * 1000 > now() &&
      signer.verify({ ...ids, expires }, row.tenant, signature);
    if (!valid) return sendJson(res, 403, { error: 'invalid or expired media URL' });
    if (row.state === 'deleted') return sendJson(res, 410, { error: 'this video is no longer kept' });
    if (row.state !== 'archived' || !row.storageKey) return sendJson(res, 404, { error: 'not archived' });
    res.setHeader('etag', `"${row.sha256}"`);
    res.setHeader('cache-control', `private, max-age=${Math.max(0, expires - Math.floor(now() / 1000))}`);
    send(req, `/${row.storageKey}`, { root: storage.root, etag: false, cacheControl: false, index: false })
      .on('error', (error: { status?: number }) => {
        if (res.headersSent) return void res.destroy();
        sendJson(res, error.status === 404 ? 410 : (error.status ?? 500), { error: 'cannot serve this video' });
      })
      .pipe(res);
  };
}
