/** The advanced lip-sync operations and inputs the tests send (docs/api.md, "Advanced lip-sync"). */

export const IDENTIFY_MUTATION = /* GraphQL */ `
  mutation Identify($input: IdentifyFacesInput!) {
    identifyFaces(input: $input) {
      sessionId
      faces { id imageUrl startMs endMs }
      unitsCharged
      expiresAt
      upstreamRequestId
    }
  }
`;

export const ADVANCED_MUTATION = /* GraphQL */ `
  mutation Advanced($input: AdvancedLipSyncInput!) {
    createAdvancedLipSync(input: $input) {
      id
      klingTaskId
      kind
      mode
      status
      face { id imageUrl startMs endMs }
      videos { id url watermarkUrl }
    }
  }
`;

export const FOLLOW_SUBSCRIPTION = /* GraphQL */ `
  subscription Follow($id: ID!) {
    lipSyncTaskUpdated(id: $id) { id kind mode status face { id startMs endMs } videos { url watermarkUrl } }
  }
`;

export const VIDEO_URL = 'https://example.com/talking-head.mp4';

/** A face entry that fits the fake's first face [1000, 5000] ms: a 3 s clip inserted at 1 s. */
export function faceAudio(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    faceId: 'face_1',
    soundUrl: 'https://example.com/speech.mp3',
    soundStartMs: 0,
    soundEndMs: 3_000,
    soundInsertMs: 1_000,
    ...overrides,
  };
}
