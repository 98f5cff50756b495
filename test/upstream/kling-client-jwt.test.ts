import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import jwt from 'jsonwebtoken';
import { KlingTokenSigner } from '../../src/upstream/KlingTokenSigner';
import { type FakeKling, startFakeKling } from '../support/fakeKling';
import { clientFor, textToVideoBody, upstreamFailure } from './support';

const ACCESS_KEY = 'ak-test-access';
const SECRET_KEY = 'sk-test-secret-0123456789';

/** The Authorization tokens the fake received, in order. */
const tokensSeen = (fake: FakeKling) =>
  fake.requests.map((r) => (r.headers.authorization ?? '').replace(/^Bearer /, ''));

describe('KlingClient with Kling direct auth (signed JWT)', () => {
  let fake: FakeKling;

  beforeAll(async () => {
    fake = await startFakeKling({ accessKey: ACCESS_KEY, secretKey: SECRET_KEY });
  });
  afterEach(() => fake.reset());
  afterAll(() => fake.close());

  it('signs the token Kling documents, and the fake accepts it', async () => {
    const client = clientFor(fake);
    const answer = await client.createLipSync(textToVideoBody());
    await client.close();

    expect(answer.data.task_status).toBe('submitted');
    const [token] = tokensSeen(fake);
    const decoded = jwt.decode(token, { complete: true });
    expect(decoded?.header).toEqual({ alg: 'HS256', typ: 'JWT' });
    const claims = decoded?.payload as jwt.JwtPayload;
    expect(Object.keys(claims).sort()).toEqual(['exp', 'iss', 'nbf']);
    expect(claims.iss).toBe(ACCESS_KEY);
    expect((claims.exp as number) - (claims.nbf as number)).toBe(1805);
    expect(Math.abs((claims.exp as number) - (Date.now() / 1000 + 1800))).toBeLessThan(5);
  });

  it('reuses the cached token across requests', async () => {
    const client = clientFor(fake);
    const { data } = await client.createLipSync(textToVideoBody());
    await client.getLipSync(data.task_id);
    await client.listLipSync(1, 30);
    await client.close();

    expect(new Set(tokensSeen(fake)).size).toBe(1);
  });

  it('re-signs once when Kling calls the token expired, and the request then succeeds', async () => {
    let clock = Date.now();
    const client = clientFor(fake, {}, { now: () => (clock += 1000) });
    fake.inject({ code: 1004 }, { endpoint: 'create' });
    const answer = await client.createLipSync(textToVideoBody());
    await client.close();

    expect(answer.data.task_status).toBe('submitted');
    expect(fake.count('create')).toBe(2);
    const [rejected, accepted] = tokensSeen(fake);
    expect(accepted).not.toBe(rejected);
  });

  it('gives up after one re-sign when the token stays expired (clock far behind)', async () => {
    const client = clientFor(fake, {}, { now: () => Date.now() - 40 * 60_000 });
    const error = await upstreamFailure(client.createLipSync(textToVideoBody()));
    await client.close();

    expect([error.code, error.upstream.code, error.retryable]).toEqual(['UPSTREAM_AUTH_FAILED', 1004, false]);
    expect(fake.count('create')).toBe(2);
  });

  it('reports a token signed with the wrong secret as invalid, without leaking either key', async () => {
    const client = clientFor(fake, { auth: { kind: 'jwt', accessKey: ACCESS_KEY, secretKey: 'not-the-secret' } });
    const error = await upstreamFailure(client.getLipSync('817067112967086149'));
    await client.close();

    expect([error.code, error.upstream.code]).toEqual(['UPSTREAM_AUTH_FAILED', 1002]);
    expect(JSON.stringify({ message: error.message, extensions: error.extensions })).not.toMatch(
      /not-the-secret|sk-test/,
    );
    expect(fake.count('get')).toBe(1);
  });

  it('rejects a token that is not valid yet (clock far ahead) as 1003', async () => {
    const client = clientFor(fake, {}, { now: () => Date.now() + 10 * 60_000 });
    const error = await upstreamFailure(client.listLipSync(1, 30));
    await client.close();

    expect(error.upstream.code).toBe(1003);
  });
});

describe('KlingTokenSigner', () => {
  it('re-signs when less than five minutes remain', () => {
    let clock = Date.UTC(2025, 0, 1);
    const signer = new KlingTokenSigner({ accessKey: ACCESS_KEY, secretKey: SECRET_KEY, now: () => clock });
    const first = signer.token();

    clock += 24 * 60_000;
    expect(signer.token()).toBe(first);

    clock += 2 * 60_000;
    const second = signer.token();
    expect(second).not.toBe(first);
    expect((jwt.decode(second) as jwt.JwtPayload).exp).toBe(Math.floor(clock / 1000) + 1800);
  });
});
