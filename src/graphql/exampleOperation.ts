/** Preloaded in Apollo Sandbox: create a task, then follow it (paste the id into the subscription's variables). */
export const EXAMPLE_OPERATION = `mutation CreateLipSync {
  createLipSync(input: {
    videoUrl: "https://example.com/talking-head.mp4"
    text: "Hello from lipsync-graph"
    voiceId: "genshin_vindi2"
    voiceLanguage: EN
  }) {
    id
    status
    mode
    createdAt
    upstreamRequestId
  }
}

subscription FollowLipSync($id: ID!) {
  lipSyncTaskUpdated(id: $id) {
    id
    status
    statusMessage
    videos { url durationSeconds }
    updatedAt
  }
}
`;
