import type { IncomingMessage, ServerResponse } from 'node:http';
import { CALLBACK_PATH_PREFIX, type CallbackUrls } from '../services/CallbackUrls';
import type { TaskCallbacks } from '../services/TaskCallbacks';
import { sendJson } from './json';

export { CALLBACK_PATH_PREFIX };

export interface CallbackRouteOptions {
  /** null when PUBLIC_URL is unset: no callback URL was ever handed out, so every callback is unknown */
  urls: CallbackUrls | null;
  callbacks: TaskCallbacks;
}

/**
 * `POST /callbacks/kling/<record id>/<token>`: Kling telling us a task moved. The token is checked before
 * anything else (no body read, no row looked up), and every refusal is the same 404 as an unknown path, so
 * neither the answer nor its timing says whether a task exists. A valid callback answers 202 at once; the task is
 * refreshed from Kling in the background (the body is not trusted: Kling does not sign it).
 */
export function createCallbackRoute({ urls, callbacks }: CallbackRouteOptions) {
  return function callback(req: IncomingMessage, res: ServerResponse, path: string): void {
    const target = req.method === 'POST' && urls ? parsePath(path) : null;
    if (!target || !urls?.verify(target.recordId, target.token)) return sendJson(res, 404, { error: 'not found' });
    req.resume(); // the body is only a hint we do not read
    callbacks.handleCallback(target.recordId);
    sendJson(res, 202, { ok: true });
  };
}

function parsePath(path: string): { recordId: string; token: string } | null {
  const parts = path.slice(CALLBACK_PATH_PREFIX.length).split('/');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return null;
  try {
    return { recordId: decodeURIComponent(parts[0]), token: parts[1] };
  } catch {
    return null; // malformed percent-encoding
  }
}
