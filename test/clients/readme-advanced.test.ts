import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { createServer, type RunningServer } from '../../src/server';
import { readRepoFile } from '../support/readmeSnippets';

/** README's "Advanced lip-sync" section: its operations and variables, as written there. */
function readmeExample(): { document: string; variables: { video: unknown; input: Record<string, unknown> } } {
  const readme = readRepoFile('README.md');
  const start = readme.indexOf('\n## Advanced lip-sync\n');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 5));
  const graphql = /```graphql\n([\s\S]*?)```/.exec(section)![1];
  const json = /```json\n([\s\S]*?)```/.exec(section)![1];
  return { document: graphql, variables: JSON.parse(json) };
}

/**
 * The README's two-step example runs as written against a server with no configuration (the simulated upstream),
 * which is what Sandbox talks to after `npm start`.
 */
describe('README: the advanced lip-sync example is Sandbox-ready', () => {
  let server: RunningServer;
  let dir: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lipsync-readme-advanced-'));
    server = await createServer(
      loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', DATABASE_URL: `file:${path.join(dir, 'l.db')}` }),
    );
  });
  afterAll(async () => {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('IdentifyFaces finds face_1, and MakeFaceSpeak with its sessionId makes an ADVANCED task', async () => {
    const { document, variables } = readmeExample();
    const request = (operationName: string, vars: Record<string, unknown>) =>
      fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: document, operationName, variables: vars }),
      }).then((res) => res.json() as Promise<{ data?: Record<string, any>; errors?: unknown[] }>);

    const identified = await request('IdentifyFaces', { video: variables.video });
    expect(identified.errors).toBeUndefined();
    const { sessionId, faces } = identified.data!.identifyFaces;
    expect(faces).toEqual([{ id: 'face_1', imageUrl: expect.any(String), startMs: 1_000, endMs: 5_000 }]);

    const created = await request('MakeFaceSpeak', { input: { ...variables.input, sessionId } });
    expect(created.errors).toBeUndefined();
    expect(created.data!.createAdvancedLipSync).toMatchObject({
      kind: 'ADVANCED',
      status: 'SUBMITTED',
      face: { id: 'face_1', startMs: 1_000, endMs: 5_000 },
    });
  });
});
