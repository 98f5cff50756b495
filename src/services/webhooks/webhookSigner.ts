import { Webhook } from 'standardwebhooks';

/**
 * The Standard Webhooks headers (https://www.standardwebhooks.com/): `webhook-signature` holds one `v1,<base64
 * HMAC-SHA256 of "id.timestamp.body">` per secret, space-separated, so during a rotation's overlap a receiver
 * holding either secret verifies the message. Signed by the `standardwebhooks` package itself, the same code
 * receivers verify with.
 */
export function signedHeaders(id: string, at: Date, body: string, secrets: readonly string[]): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': secrets.map((secret) => new Webhook(secret).sign(id, at, body)).join(' '),
  };
}

/** The body of every webhook: the event type, when the status changed, and the task as the GraphQL API shows it. */
export function webhookBody(occurredAt: number, data: string): string {
  // `data` is already JSON (stored with the event), so the body is byte-for-byte the same on every retry.
  return `{"type":"lip_sync_task.updated","timestamp":${JSON.stringify(new Date(occurredAt).toISOString())},"data":${data}}`;
}
