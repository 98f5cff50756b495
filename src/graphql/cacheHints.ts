import { maybeCacheControlFromInfo, type CacheHint } from '@apollo/cache-control-types';
import type { GraphQLResolveInfo } from 'graphql';
import type { RequestContext } from '../context';

/**
 * Sets a root field's cache hint for both executors: Apollo's cache-control plugin (when the request went
 * through Apollo) and the fast lane, which computes the header from the hints in the context.
 */
export function hintCache(info: GraphQLResolveInfo, context: RequestContext, hint: CacheHint): void {
  maybeCacheControlFromInfo(info)?.setCacheHint(hint);
  context.cacheHints.push(hint);
}

/**
 * The Cache-Control header Apollo would send: cacheable only when every root field gave a positive max age
 * (the smallest wins; private if any is); otherwise `no-store`.
 */
export function cacheControlHeader(hints: readonly CacheHint[], rootFields: number): string {
  if (hints.length < rootFields || hints.length === 0) return 'no-store';
  let maxAge = Infinity;
  let scope: 'public' | 'private' = 'public';
  for (const hint of hints) {
    maxAge = Math.min(maxAge, hint.maxAge ?? 0);
    if (hint.scope === 'PRIVATE') scope = 'private';
  }
  return maxAge > 0 ? `max-age=${maxAge}, ${scope}` : 'no-store';
}
