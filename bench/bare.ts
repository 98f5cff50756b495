/**
 * The "bare" baselines of B1 and B2: the least a node:http server can do for the same job, measured in the
 * same run as the server under test.
 *   proxy  — takes the same GraphQL JSON, forwards the create to the same fake upstream with the same kind of
 *            keep-alive agent and answers the same JSON shape (B1's limit);
 *   reader — answers lipSyncTask(id) from the same SQLite file with a better-sqlite3 query by the record's id
 *            and JSON.stringify (B2's limit).
 * Deliberately naive: no validation, no logging, no error shapes beyond a 502.
 */
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveIpc } from './childRuntime';

type Mode =
  { mode: 'proxy'; upstreamUrl: string; apiKey: string; maxSockets: number } | { mode: 'reader'; databaseFile: string };

function readJson(req: IncomingMessage, then: (body: { variables: Record<string, any> }) => void): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => then(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
}

function send(res: ServerResponse, status: number, payload: unknown): void {
  const text = JSON.stringify(payload);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function proxy(upstreamUrl: string, apiKey: string, maxSockets: number): http.RequestListener {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const target = new URL(`${upstreamUrl}/v1/videos/lip-sync`);
  return (req, res) =>
    readJson(req, ({ variables: { input } }) => {
      const body = JSON.stringify({
        input: {
          mode: 'text2video',
          video_url: input.videoUrl,
          text: input.text,
          voice_id: input.voiceId,
          voice_language: input.voiceLanguage.toLowerCase(),
        },
        external_task_id: randomUUID(),
      });
      const headers = {
        'content-type': 'application/json',
        accept: 'application/json',
        authorization: `Bearer ${apiKey}`,
      };
      const upstream = http.request(target, { method: 'POST', agent, headers }, (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          const task = JSON.parse(Buffer.concat(chunks).toString('utf8')).data;
          send(res, 200, {
            data: {
              createLipSync: {
                id: task.task_id,
                status: 'SUBMITTED',
                createdAt: new Date(task.created_at).toISOString(),
              },
            },
          });
        });
      });
      upstream.on('error', (error) => send(res, 502, { errors: [{ message: error.message }] }));
      upstream.end(body);
    });
}

const STATUS: Record<string, string> = {
  submitted: 'SUBMITTED',
  processing: 'PROCESSING',
  succeeded: 'SUCCEEDED',
  failed: 'FAILED',
};

function reader(databaseFile: string): http.RequestListener {
  const db = new Database(databaseFile, { readonly: true, fileMustExist: true });
  // LipSyncTask.id is the record's own id (docs/api.md, "Tasks, ids and the queue"), not Kling's task id.
  const byId = db.prepare('SELECT * FROM tasks WHERE id = :id AND tenant = :tenant');
  const video = (v: { id: string; url: string; durationSeconds: number | null }) => ({
    id: v.id,
    url: v.url,
    durationSeconds: v.durationSeconds,
  });
  return (req, res) =>
    readJson(req, ({ variables }) => {
      const row = byId.get({ id: variables.id, tenant: 'default' }) as Record<string, any> | undefined;
      const task = row && {
        id: row.id,
        status: STATUS[row.state],
        statusMessage: row.status_message,
        mode: row.mode,
        parentVideo: row.parent_video === null ? null : video(JSON.parse(row.parent_video)),
        videos: JSON.parse(row.videos).map(video),
        createdAt: new Date(row.created_at).toISOString(),
        updatedAt: new Date(row.updated_at).toISOString(),
        upstreamRequestId: row.upstream_request_id,
      };
      send(res, 200, { data: { lipSyncTask: task ?? null } });
    });
}

function main(): void {
  const mode = JSON.parse(process.argv[2] ?? '{}') as Mode;
  const listener =
    mode.mode === 'proxy' ? proxy(mode.upstreamUrl, mode.apiKey, mode.maxSockets) : reader(mode.databaseFile);
  const server = http.createServer({ keepAliveTimeout: 65_000 }, listener);
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    const stop = () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    serveIpc({ type: 'ready', origin: `http://127.0.0.1:${port}` }, { stop });
  });
}

main();
