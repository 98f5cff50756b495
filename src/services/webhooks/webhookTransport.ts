import http from 'node:http';
import https from 'node:https';
import { guardedLookup } from '../../domain/guardedLookup';
import { outboundUrlProblem, type OutboundUrlPolicy } from '../../domain/outboundUrl';

/** At most this much of a receiver's answer is read: only its status matters. */
export const MAX_ANSWER_BYTES = 64 * 1024;

export interface WebhookPost {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** the whole attempt, connecting included */
  timeoutMs: number;
  policy: OutboundUrlPolicy;
}

/** The receiver's answer status, or why there was none (`timeout`, `refused-url`, a network error code). */
export type WebhookAnswer = { status: number } | { error: string };

/**
 * One POST, as the outbound URL rules allow (src/domain/outboundUrl.ts): the URL is checked again (the rules may
 * have changed since it was accepted) and so is every address its name resolves to, at connect time, so a public
 * name pointed at 127.0.0.1 is refused unless ALLOW_PRIVATE_URLS=true. Redirects are not followed (a 3xx is just a
 * failed attempt); at most 64 KB of the answer is read; no keep-alive agent, so no socket outlives the attempt.
 */
export function postWebhook(post: WebhookPost): Promise<WebhookAnswer> {
  if (outboundUrlProblem(post.url, post.policy)) return Promise.resolve({ error: 'refused-url' });
  const url = new URL(post.url);
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (answer: WebhookAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      resolve(answer);
    };
    const request = client.request(url, {
      method: 'POST',
      agent: false,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'lipsync-graph-webhooks',
        'content-length': String(Buffer.byteLength(post.body)),
        ...post.headers,
      },
      lookup: post.policy.allowPrivate ? undefined : guardedLookup(),
    });
    const timer = setTimeout(() => finish({ error: 'timeout' }), post.timeoutMs);
    request.on('error', (error: NodeJS.ErrnoException) => finish({ error: error.code ?? 'network' }));
    request.on('response', (response) => {
      const status = response.statusCode ?? 0;
      let read = 0;
      response.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read >= MAX_ANSWER_BYTES) finish({ status });
      });
      response.on('end', () => finish({ status }));
      response.on('error', () => finish({ status }));
    });
    request.end(post.body);
  });
}
