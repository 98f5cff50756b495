import { createHash } from 'node:crypto';
import type { GraphQLTestClient } from '../support/graphqlClient';
import { CREATE_MUTATION, TEXT_INPUT } from '../support/testServer';
import { waitFor } from '../support/waitFor';

export interface ArchivedTask {
  id: string;
  status: string;
  archivedState: string | null;
  videos: Array<{ id: string; url: string; archivedUrl: string | null }>;
}

const TASK_QUERY = /* GraphQL */ `
  query Task($id: ID!) {
    lipSyncTask(id: $id) { id status archivedState videos { id url archivedUrl } }
  }
`;

export async function readTask(client: GraphQLTestClient, id: string): Promise<ArchivedTask | null> {
  const { body } = await client.request<{ lipSyncTask: ArchivedTask | null }>(TASK_QUERY, { id });
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data?.lipSyncTask ?? null;
}

/** Creates a task and waits until it SUCCEEDED and its archive left PENDING. */
export async function createAndSettle(client: GraphQLTestClient): Promise<ArchivedTask> {
  const created = await client.request<{ createLipSync: { id: string } }>(CREATE_MUTATION, { input: TEXT_INPUT });
  if (created.body.errors) throw new Error(JSON.stringify(created.body.errors));
  const id = created.body.data!.createLipSync.id;
  return waitFor(
    `task ${id} succeeded and archive settled`,
    async () => {
      const task = await readTask(client, id);
      return task?.status === 'SUCCEEDED' && task.archivedState !== 'PENDING' ? task : undefined;
    },
    20_000,
    50,
  );
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export async function download(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers });
  return { response, bytes: Buffer.from(await response.arrayBuffer()) };
}

/** The same signed URL with one query parameter changed. */
export function withParam(url: string, name: string, value: string): string {
  const changed = new URL(url);
  changed.searchParams.set(name, value);
  return changed.href;
}
