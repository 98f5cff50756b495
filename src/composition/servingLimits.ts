/** Where GraphQL is served, over HTTP and WebSocket alike. */
export const GRAPHQL_PATH = '/graphql';

/** audioFile may carry 5 MB of audio: about 6.7 MB of Base64, plus the rest of the request. */
export const BODY_LIMIT = 8 * 1024 * 1024;
/** longest operation accepted, in tokens (a query limit like depth and cost) */
export const MAX_TOKENS = 2000;
