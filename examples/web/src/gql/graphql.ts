/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
/** What to lip-sync. Give the video (videoId or videoUrl) and the speech: text + voiceId + voiceLanguage, or audioUrl / audioFile. Empty strings count as not given. */
export type CreateLipSyncInput = {
  /** AUDIO_TO_VIDEO: the audio as plain Base64, ≤5 MB decoded. Exactly one of audioUrl / audioFile. */
  audioFile?: string | null | undefined;
  /** AUDIO_TO_VIDEO: https URL on a public host of mp3/wav/m4a/aac (≤5 MB). Exactly one of audioUrl / audioFile. */
  audioUrl?: string | null | undefined;
  /** Where this server will send webhooks for the task (same URL rules as videoUrl). Never forwarded to the upstream. */
  callbackUrl?: string | null | undefined;
  /** Makes retries safe: the same key with the same input returns the same task (one upstream call) for 24 h; the same key with another input is rejected. Defaults to the Idempotency-Key HTTP header. */
  idempotencyKey?: string | null | undefined;
  /** Optional: inferred from the fields (text → TEXT_TO_VIDEO, audio → AUDIO_TO_VIDEO). */
  mode?: LipSyncMode | null | undefined;
  /** TEXT_TO_VIDEO: what to say, 1–120 characters. */
  text?: string | null | undefined;
  /** A video made by Kling on the same account. Exactly one of videoId / videoUrl. */
  videoId?: string | number | null | undefined;
  /** https URL (http only when the server allows it) on a public host of an mp4/mov (≤100 MB, 720p or 1080p), at most 2,048 characters. Exactly one of videoId / videoUrl. */
  videoUrl?: string | null | undefined;
  /** TEXT_TO_VIDEO: a voice id (see the `voices` query). */
  voiceId?: string | null | undefined;
  /** TEXT_TO_VIDEO: the language of the voice. */
  voiceLanguage?: VoiceLanguage | null | undefined;
  /** TEXT_TO_VIDEO: speaking speed, 0.8–2.0 (default 1.0). */
  voiceSpeed?: number | null | undefined;
};

/** How the new speech is given: as text spoken by a catalogue voice, or as an audio track. */
export type LipSyncMode =
  /** Use the audio at `audioUrl` or in `audioFile` (upstream `audio2video`). */
  | 'AUDIO_TO_VIDEO'
  /** Speak `text` with `voiceId` in `voiceLanguage` (upstream `text2video`). */
  | 'TEXT_TO_VIDEO';

/** Where a task is: QUEUED → SUBMITTED → PROCESSING → SUCCEEDED or FAILED; QUEUED → CANCELED. SUCCEEDED, FAILED and CANCELED are final. */
export type LipSyncTaskStatus =
  /** Canceled while QUEUED: never sent to Kling, nothing charged. */
  | 'CANCELED'
  /** Ended without a video: `statusMessage` says why (Kling's reason, or ours, e.g. queued too long). */
  | 'FAILED'
  /** The video is being made (typically 3–7 minutes). */
  | 'PROCESSING'
  /** Accepted and stored here, not yet sent to Kling: waiting for a concurrency slot (`queuePosition` says when its turn comes). `klingTaskId` is null. */
  | 'QUEUED'
  /** Sent to Kling, waiting to start. While the create request to Kling is still in flight (or its answer was lost and is being confirmed) the task is SUBMITTED with `klingTaskId` null: it may already exist at Kling, so it holds a concurrency slot and can no longer be canceled. */
  | 'SUBMITTED'
  /** Done: `videos` holds the result. */
  | 'SUCCEEDED';

/** Language of a catalogue voice; it must match the voice. */
export type VoiceLanguage =
  /** English (upstream `en`) */
  | 'EN'
  /** Chinese (upstream `zh`) */
  | 'ZH';

export type TaskFieldsFragment = { id: string, klingTaskId: string | null, status: LipSyncTaskStatus, queuePosition: number | null, statusMessage: string | null, createdAt: string, upstreamRequestId: string | null, videos: Array<{ id: string, url: string }> };

export type VoicesQueryVariables = Exact<{
  language?: VoiceLanguage | null | undefined;
}>;


export type VoicesQuery = { voices: Array<{ id: string, name: string }> };

export type CreateLipSyncMutationVariables = Exact<{
  input: CreateLipSyncInput;
}>;


export type CreateLipSyncMutation = { createLipSync: { id: string, klingTaskId: string | null, status: LipSyncTaskStatus, queuePosition: number | null, statusMessage: string | null, createdAt: string, upstreamRequestId: string | null, videos: Array<{ id: string, url: string }> } };

export type CancelLipSyncMutationVariables = Exact<{
  id: string | number;
}>;


export type CancelLipSyncMutation = { cancelLipSync: { id: string, klingTaskId: string | null, status: LipSyncTaskStatus, queuePosition: number | null, statusMessage: string | null, createdAt: string, upstreamRequestId: string | null, videos: Array<{ id: string, url: string }> } };

export type TaskUpdatedSubscriptionVariables = Exact<{
  id: string | number;
}>;


export type TaskUpdatedSubscription = { lipSyncTaskUpdated: { id: string, klingTaskId: string | null, status: LipSyncTaskStatus, queuePosition: number | null, statusMessage: string | null, createdAt: string, upstreamRequestId: string | null, videos: Array<{ id: string, url: string }> } };

export type TasksQueryVariables = Exact<{
  first: number;
  after?: string | null | undefined;
  status?: LipSyncTaskStatus | null | undefined;
}>;


export type TasksQuery = { lipSyncTasks: { edges: Array<{ node: { id: string, status: LipSyncTaskStatus, createdAt: string } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const TaskFieldsFragmentDoc = new TypedDocumentString(`
    fragment TaskFields on LipSyncTask {
  id
  klingTaskId
  status
  queuePosition
  statusMessage
  createdAt
  upstreamRequestId
  videos {
    id
    url
  }
}
    `, {"fragmentName":"TaskFields"}) as unknown as TypedDocumentString<TaskFieldsFragment, unknown>;
export const VoicesDocument = new TypedDocumentString(`
    query Voices($language: VoiceLanguage) {
  voices(language: $language) {
    id
    name
  }
}
    `) as unknown as TypedDocumentString<VoicesQuery, VoicesQueryVariables>;
export const CreateLipSyncDocument = new TypedDocumentString(`
    mutation CreateLipSync($input: CreateLipSyncInput!) {
  createLipSync(input: $input) {
    ...TaskFields
  }
}
    fragment TaskFields on LipSyncTask {
  id
  klingTaskId
  status
  queuePosition
  statusMessage
  createdAt
  upstreamRequestId
  videos {
    id
    url
  }
}`) as unknown as TypedDocumentString<CreateLipSyncMutation, CreateLipSyncMutationVariables>;
export const CancelLipSyncDocument = new TypedDocumentString(`
    mutation CancelLipSync($id: ID!) {
  cancelLipSync(id: $id) {
    ...TaskFields
  }
}
    fragment TaskFields on LipSyncTask {
  id
  klingTaskId
  status
  queuePosition
  statusMessage
  createdAt
  upstreamRequestId
  videos {
    id
    url
  }
}`) as unknown as TypedDocumentString<CancelLipSyncMutation, CancelLipSyncMutationVariables>;
export const TaskUpdatedDocument = new TypedDocumentString(`
    subscription TaskUpdated($id: ID!) {
  lipSyncTaskUpdated(id: $id) {
    ...TaskFields
  }
}
    fragment TaskFields on LipSyncTask {
  id
  klingTaskId
  status
  queuePosition
  statusMessage
  createdAt
  upstreamRequestId
  videos {
    id
    url
  }
}`) as unknown as TypedDocumentString<TaskUpdatedSubscription, TaskUpdatedSubscriptionVariables>;
export const TasksDocument = new TypedDocumentString(`
    query Tasks($first: Int!, $after: String, $status: LipSyncTaskStatus) {
  lipSyncTasks(first: $first, after: $after, status: $status) {
    edges {
      node {
        id
        status
        createdAt
      }
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
    `) as unknown as TypedDocumentString<TasksQuery, TasksQueryVariables>;