import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import { startClientSnippetServer, type ClientSnippetServer } from '../support/clientServer';
import { readmeClientSnippets } from '../support/readmeSnippets';

/** README.md "Use it from a client" → curl: the README's own command, run by sh against a real server. */
const CURL = '/usr/bin/curl';
const README_URL = 'http://localhost:4000/graphql';
let running: ClientSnippetServer;

beforeAll(async () => {
  running = await startClientSnippetServer();
});

afterAll(async () => {
  await running?.testServer.close();
});

it('the README command creates a task', async () => {
  if (!fs.existsSync(CURL)) {
    throw new Error(`${CURL} is missing: install curl (apt-get install curl) to run the README's curl snippet`);
  }
  const snippet = readmeClientSnippets().find((s) => s.testFile === 'test/clients/curl.test.ts');
  expect(snippet?.code).toContain(README_URL);
  const command = snippet!.code.replace(README_URL, running.GRAPHQL_HTTP);

  const { stdout } = await promisify(execFile)('sh', ['-c', command], {
    // no_proxy: the server is on 127.0.0.1, which a CI machine's http_proxy must not swallow.
    env: { ...process.env, PATH: `/usr/bin:${process.env.PATH ?? ''}`, no_proxy: '127.0.0.1', TOKEN: running.TOKEN },
  });

  const { data, errors } = JSON.parse(stdout);
  expect(errors).toBeUndefined();
  expect(data.createLipSync).toEqual({ id: expect.any(String), status: 'SUBMITTED' });
});
