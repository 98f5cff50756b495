import { graphql } from './gql';

/** Everything the task view shows; the create answer, the subscription and nothing else need more. */
export const TaskFieldsFragment = graphql(`
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
`);

export const VoicesQuery = graphql(`
  query Voices($language: VoiceLanguage) {
    voices(language: $language) {
      id
      name
    }
  }
`);

export const CreateLipSyncMutation = graphql(`
  mutation CreateLipSync($input: CreateLipSyncInput!) {
    createLipSync(input: $input) {
      ...TaskFields
    }
  }
`);

/** Only a QUEUED task can be canceled; any other answers BAD_USER_INPUT with extensions.reason NOT_CANCELABLE. */
export const CancelLipSyncMutation = graphql(`
  mutation CancelLipSync($id: ID!) {
    cancelLipSync(id: $id) {
      ...TaskFields
    }
  }
`);

/** The task now, then every change; the server completes it after a final status. */
export const TaskUpdatedSubscription = graphql(`
  subscription TaskUpdated($id: ID!) {
    lipSyncTaskUpdated(id: $id) {
      ...TaskFields
    }
  }
`);

export const TasksQuery = graphql(`
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
`);
