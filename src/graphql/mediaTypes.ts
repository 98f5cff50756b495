import Negotiator from 'negotiator';
import { LRUCache } from 'lru-cache';

const APPLICATION_JSON = 'application/json; charset=utf-8';
const GRAPHQL_RESPONSE_JSON = 'application/graphql-response+json; charset=utf-8';
/** Apollo offers it for subscription callbacks; the fast lane leaves such requests to Apollo. */
const JSON_GRAPHQL_CALLBACK = 'application/json; callbackSpec=1.0; charset=utf-8';

/** Clients send a handful of distinct `accept` values, each over and over: one negotiation per value. */
const decisions = new LRUCache<string, string | false>({ max: 256 });

/**
 * The media type to answer a single result with, chosen the way Apollo Server 5 chooses it
 * (`chooseContentTypeForSingleResultResponse` in @apollo/server: the same candidates, the same `negotiator`),
 * or null when Apollo should answer: it refuses (406) what accepts neither JSON type, and owns the callback type.
 * Status codes do not depend on the type: Apollo gives 400 to requests that could not execute and 200 otherwise,
 * which is what the GraphQL-over-HTTP spec asks of `application/graphql-response+json` for these cases.
 */
export function responseMediaType(accept: string | undefined): string | null {
  if (!accept) return APPLICATION_JSON;
  let decision = decisions.get(accept);
  if (decision === undefined) {
    const preferred = new Negotiator({ headers: { accept } }).mediaType([
      APPLICATION_JSON,
      GRAPHQL_RESPONSE_JSON,
      JSON_GRAPHQL_CALLBACK,
    ]);
    decision = preferred === APPLICATION_JSON || preferred === GRAPHQL_RESPONSE_JSON ? preferred : false;
    decisions.set(accept, decision);
  }
  return decision || null;
}
