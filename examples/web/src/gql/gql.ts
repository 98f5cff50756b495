/* eslint-disable */
import * as types from './graphql';



/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  fragment TaskFields on LipSyncTask {\n    id\n    klingTaskId\n    status\n    queuePosition\n    statusMessage\n    createdAt\n    upstreamRequestId\n    videos {\n      id\n      url\n    }\n  }\n": typeof types.TaskFieldsFragmentDoc,
    "\n  query Voices($language: VoiceLanguage) {\n    voices(language: $language) {\n      id\n      name\n    }\n  }\n": typeof types.VoicesDocument,
    "\n  mutation CreateLipSync($input: CreateLipSyncInput!) {\n    createLipSync(input: $input) {\n      ...TaskFields\n    }\n  }\n": typeof types.CreateLipSyncDocument,
    "\n  mutation CancelLipSync($id: ID!) {\n    cancelLipSync(id: $id) {\n      ...TaskFields\n    }\n  }\n": typeof types.CancelLipSyncDocument,
    "\n  subscription TaskUpdated($id: ID!) {\n    lipSyncTaskUpdated(id: $id) {\n      ...TaskFields\n    }\n  }\n": typeof types.TaskUpdatedDocument,
    "\n  query Tasks($first: Int!, $after: String, $status: LipSyncTaskStatus) {\n    lipSyncTasks(first: $first, after: $after, status: $status) {\n      edges {\n        node {\n          id\n          status\n          createdAt\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": typeof types.TasksDocument,
};
const documents: Documents = {
    "\n  fragment TaskFields on LipSyncTask {\n    id\n    klingTaskId\n    status\n    queuePosition\n    statusMessage\n    createdAt\n    upstreamRequestId\n    videos {\n      id\n      url\n    }\n  }\n": types.TaskFieldsFragmentDoc,
    "\n  query Voices($language: VoiceLanguage) {\n    voices(language: $language) {\n      id\n      name\n    }\n  }\n": types.VoicesDocument,
    "\n  mutation CreateLipSync($input: CreateLipSyncInput!) {\n    createLipSync(input: $input) {\n      ...TaskFields\n    }\n  }\n": types.CreateLipSyncDocument,
    "\n  mutation CancelLipSync($id: ID!) {\n    cancelLipSync(id: $id) {\n      ...TaskFields\n    }\n  }\n": types.CancelLipSyncDocument,
    "\n  subscription TaskUpdated($id: ID!) {\n    lipSyncTaskUpdated(id: $id) {\n      ...TaskFields\n    }\n  }\n": types.TaskUpdatedDocument,
    "\n  query Tasks($first: Int!, $after: String, $status: LipSyncTaskStatus) {\n    lipSyncTasks(first: $first, after: $after, status: $status) {\n      edges {\n        node {\n          id\n          status\n          createdAt\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": types.TasksDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment TaskFields on LipSyncTask {\n    id\n    klingTaskId\n    status\n    queuePosition\n    statusMessage\n    createdAt\n    upstreamRequestId\n    videos {\n      id\n      url\n    }\n  }\n"): typeof import('./graphql').TaskFieldsFragmentDoc;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Voices($language: VoiceLanguage) {\n    voices(language: $language) {\n      id\n      name\n    }\n  }\n"): typeof import('./graphql').VoicesDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateLipSync($input: CreateLipSyncInput!) {\n    createLipSync(input: $input) {\n      ...TaskFields\n    }\n  }\n"): typeof import('./graphql').CreateLipSyncDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CancelLipSync($id: ID!) {\n    cancelLipSync(id: $id) {\n      ...TaskFields\n    }\n  }\n"): typeof import('./graphql').CancelLipSyncDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription TaskUpdated($id: ID!) {\n    lipSyncTaskUpdated(id: $id) {\n      ...TaskFields\n    }\n  }\n"): typeof import('./graphql').TaskUpdatedDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Tasks($first: Int!, $after: String, $status: LipSyncTaskStatus) {\n    lipSyncTasks(first: $first, after: $after, status: $status) {\n      edges {\n        node {\n          id\n          status\n          createdAt\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"): typeof import('./graphql').TasksDocument;


export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}
