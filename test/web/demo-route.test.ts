import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config';
import { createServer, type RunningServer } from '../../src/server';
import { waitFor } from '../support/childServer';
import { GraphQLTestClient } from '../support/graphqlClient';

const SAMPLE_VIDEO = fs.readFileSync(path.resolve(__dirname, '../../examples/web/media/sample.mp4'));
const TEXT_INPUT = {
  videoUrl: 'https://example.com/face.mp4',
  text: 'Hello',
  voiceId: 'genshin_vindi2',
  voiceLanguage: 'EN',
};
const CREATE = 'mutation ($input: CreateLipSyncInput!) { createLipSync(input: $input) { id parentVideo { url } } }';
const TASK = 'query ($id: ID!) { lipSyncTask(id: $id) { status videos { url } } }';

/** A server as `npm start` runs it with no configuration: the simulated upstream, SQLite in a temp dir. */
async function zeroConfigServer(env: Record<string, string> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lipsync-demo-'));
  const database = `file:${path.join(dir, 'lipsync.db')}`;
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: database,
    POLL_MIN_MS: '100',
    POLL_MAX_MS: '500',
    ...env,
  });
  const server = await createServer(config, {
    logDestination: new Writable({ write: (_chunk, _encoding, done) => done() }),
  });
  return {
    server,
    client: new GraphQLTestClient(server.url, server.wsUrl),
    async close() {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A GET (or another method) with the path sent exactly as written, `..` included. */
function rawRequest(server: RunningServer, rawPath: string, method = 'GET'): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .request({ host: '127.0.0.1', port: server.port, path: rawPath, method }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on('error', reject)
      .end();
  });
}

describe('GET /demo and the sample video', () => {
  it('zero-config: a simulated task ends with the sample video, served by this server with ranges (as <video> asks)', async () => {
    const s = await zeroConfigServer();
    try {
      const created = await s.client.request(CREATE, { input: TEXT_INPUT });
      expect(created.body.errors).toBeUndefined();
      const id: string = created.body.data!.createLipSync.id;
      // The simulated upstream finishes a task in about 6 s.
      const task = await waitFor(
        'the simulated task to succeed',
        async () => {
          const { body } = await s.client.request(TASK, { id });
          return body.data?.lipSyncTask?.status === 'SUCCEEDED' && body.data.lipSyncTask;
        },
        30_000,
        250,
      );
      const url: string = task.videos[0].url;
      expect(url).toMatch(new RegExp(`^${s.server.origin}/demo/media/lipsync/\\d{18}\\.mp4$`));

      const whole = await fetch(url);
      expect(whole.status).toBe(200);
      expect(whole.headers.get('content-type')).toBe('video/mp4');
      expect(Buffer.from(await whole.arrayBuffer()).equals(SAMPLE_VIDEO)).toBe(true);
      const part = await fetch(url, { headers: { range: 'bytes=0-99' } });
      expect(part.status).toBe(206);
      expect((await part.arrayBuffer()).byteLength).toBe(100);
    } finally {
      await s.close();
    }
  }, 60_000);

  it('PUBLIC_URL is the origin of the simulated videos', async () => {
    const s = await zeroConfigServer({ PUBLIC_URL: 'https://lipsync.example.com/' });
    try {
      const { body } = await s.client.request(CREATE, {
        input: { ...TEXT_INPUT, videoUrl: undefined, videoId: '800000000000000123' },
      });
      expect(body.data!.createLipSync.parentVideo.url).toBe(
        'https://lipsync.example.com/demo/media/videos/800000000000000123.mp4',
      );
    } finally {
      await s.close();
    }
  });

  it('is off in production unless DEMO=true', async () => {
    const production = { NODE_ENV: 'production', ALLOW_ANONYMOUS: 'true' };
    const off = await zeroConfigServer(production);
    try {
      expect(await rawRequest(off.server, '/demo/media/lipsync/1.mp4')).toBe(404);
      expect(await rawRequest(off.server, '/demo')).toBe(404);
    } finally {
      await off.close();
    }
    const on = await zeroConfigServer({ ...production, DEMO: 'true' });
    try {
      expect(await rawRequest(on.server, '/demo/media/lipsync/1.mp4')).toBe(200);
    } finally {
      await on.close();
    }
    expect(loadConfig({}).demo).toBe(true);
    expect(loadConfig({ DEMO: 'false' }).demo).toBe(false);
    expect(() => loadConfig({ DEMO: 'yes' })).toThrow(/DEMO/);
  }, 30_000);

  it('serves only reads of its own files', async () => {
    const s = await zeroConfigServer();
    try {
      expect(await rawRequest(s.server, '/demo', 'POST')).toBe(405);
      expect(await rawRequest(s.server, '/demo/no-such-asset.js')).toBe(404);
      expect(await rawRequest(s.server, '/demo/../package.json')).not.toBe(200);
      expect(await rawRequest(s.server, '/demo/%2e%2e/%2e%2e/package.json')).not.toBe(200);
      expect(await rawRequest(s.server, '/demo/media/../../package.json')).not.toBe(200);
      expect(await rawRequest(s.server, '/demonstration')).toBe(404);
    } finally {
      await s.close();
    }
  });
});
