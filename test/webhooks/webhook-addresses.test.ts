import dns from 'node:dns/promises';
import os from 'node:os';
import { addressProblem } from '../../src/domain/outboundUrl';
import { postWebhook } from '../../src/services/webhooks/webhookTransport';
import { CREATE_MUTATION, startTestServer, TEXT_INPUT, type TestServer } from '../support/testServer';
import { waitFor } from '../support/waitFor';
import { WebhookReceiver } from '../support/webhookReceiver';

/**
 * The outbound URL rules hold at connect time too: a name (which passes the URL check, as names are not resolved
 * there) whose address is loopback or private is refused when the webhook is sent, unless ALLOW_PRIVATE_URLS=true.
 * The machine's own host name is such a name (127.0.x.x in /etc/hosts, or a container's private address).
 */
describe('webhook targets resolved at connect time', () => {
  const hostname = os.hostname();
  let receiver: WebhookReceiver;
  let t: TestServer;
  beforeAll(async () => {
    const addresses = await dns.lookup(hostname, { all: true });
    if (addresses.some((a) => addressProblem(a.address) === null)) {
      throw new Error(
        `this test needs ${hostname} to resolve to a non-public address; it resolves to ${JSON.stringify(addresses)}`,
      );
    }
    receiver = await WebhookReceiver.start(0, '0.0.0.0');
    t = await startTestServer({
      env: { ALLOW_HTTP_MEDIA_URLS: 'true', WEBHOOK_RETRY_BASE_MS: '100', WEBHOOK_SCAN_INTERVAL_MS: '100' },
    });
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it('never calls a name that resolves to a private address, and keeps retrying it', async () => {
    const port = new URL(receiver.origin).port;
    const callbackUrl = `http://${hostname}:${port}/hooks`;
    const res = await t.client.request(CREATE_MUTATION, { input: { ...TEXT_INPUT, callbackUrl } });
    expect(res.body.errors).toBeUndefined(); // a name passes the URL rules
    const id = res.body.data!.createLipSync.id as string;
    const first = await waitFor('a few refused attempts', async () => {
      const answer = await t.client.request(
        'query($id: ID!) { lipSyncTask(id: $id) { webhookDeliveries { state attempts lastResponseStatus } } }',
        { id },
      );
      const deliveries = answer.body.data!.lipSyncTask.webhookDeliveries as Array<{ attempts: number }>;
      return deliveries.length > 0 && deliveries[0].attempts >= 2 && deliveries[0];
    });
    expect(first).toEqual({ state: 'PENDING', attempts: expect.any(Number), lastResponseStatus: null });
    expect(receiver.received).toEqual([]);

    // The same URL with ALLOW_PRIVATE_URLS=true reaches the receiver: it was the rule that refused, not the network.
    const allowed = await postWebhook({
      url: callbackUrl,
      headers: { 'webhook-id': 'control' },
      body: '{"type":"control","timestamp":"2026-01-01T00:00:00.000Z","data":{"id":"control","status":"QUEUED"}}',
      timeoutMs: 5_000,
      policy: { allowHttp: true, allowPrivate: true },
    });
    expect(allowed).toEqual({ status: 200 });
    expect(receiver.received.map((r) => r.id)).toEqual(['control']);
  });
});
