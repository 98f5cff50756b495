import {
  GraphQLError,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type GraphQLSchema,
  type Token,
  type ValidationRule,
} from 'graphql';
import { LRUCache } from 'lru-cache';
import { hash } from 'node:crypto';

export type Prepared =
  { document: DocumentNode; errors?: undefined } | { document?: undefined; errors: readonly GraphQLError[] };

export interface PreparedDocumentsOptions {
  schema: GraphQLSchema;
  /** rules on top of graphql's own (query limits, no introspection in production) */
  rules: readonly ValidationRule[];
  maxTokens: number;
  /** estimated bytes of syntax trees kept, at most */
  maxBytes?: number;
  /** longer operation texts are parsed every time, never kept */
  maxCachedLength?: number;
}

/**
 * What one syntax tree costs, per token: measured at about 170 bytes (node, location and token objects) for a
 * dense 2,000-token operation, whose text is only 3 KB. The text alone would undercount such trees a hundredfold.
 */
const BYTES_PER_TOKEN = 200;

/**
 * Parses and validates each distinct operation text once. Clients send the same few operations over and
 * over, so this turns per-request parsing into a lookup, and lets thousands of subscriptions to one
 * operation share one syntax tree instead of holding a copy each.
 *
 * Bounded whatever clients send: entries are weighed in estimated bytes, keyed by a digest (not by the text,
 * which may be long), and only valid documents of ordinary length are kept — invalid or huge operations cost
 * their parse and are then forgotten, so distinct junk cannot pile up.
 */
export class PreparedDocuments {
  private readonly entries: LRUCache<string, DocumentNode>;
  private readonly rules: readonly ValidationRule[];
  private readonly maxCachedLength: number;

  constructor(private readonly options: PreparedDocumentsOptions) {
    this.rules = [...specifiedRules, ...options.rules];
    this.maxCachedLength = options.maxCachedLength ?? 64 * 1024;
    this.entries = new LRUCache<string, DocumentNode>({
      maxSize: options.maxBytes ?? 16 * 1024 * 1024,
      sizeCalculation: (document) => estimatedBytes(document),
    });
  }

  get(query: string): Prepared {
    const cacheable = query.length <= this.maxCachedLength;
    // sha256 of a typical operation costs one or two microseconds (measured: node:crypto hash, 100-character text).
    const key = cacheable ? hash('sha256', query, 'base64') : null;
    const known = key === null ? undefined : this.entries.get(key);
    if (known) return { document: known };
    const prepared = this.prepare(query);
    if (key !== null && prepared.document) this.entries.set(key, prepared.document);
    return prepared;
  }

  private prepare(query: string): Prepared {
    let document: DocumentNode;
    try {
      document = parse(query, { maxTokens: this.options.maxTokens });
    } catch (error) {
      return {
        errors: [
          coded(error instanceof GraphQLError ? error : new GraphQLError(String(error)), 'GRAPHQL_PARSE_FAILED'),
        ],
      };
    }
    const errors = validate(this.options.schema, document, this.rules);
    return errors.length > 0 ? { errors: errors.map((e) => coded(e, 'GRAPHQL_VALIDATION_FAILED')) } : { document };
  }
}

/** The text (kept by the tree's locations) plus its tokens; counting them walks at most `maxTokens` links. */
function estimatedBytes(document: DocumentNode): number {
  const loc = document.loc;
  if (!loc) return 1;
  let tokens = 0;
  for (let token: Token | null = loc.startToken; token !== null; token = token.next) tokens++;
  return loc.source.body.length + tokens * BYTES_PER_TOKEN;
}

/** The codes Apollo gives these failures, so the shared formatter treats them the same on every path. */
function coded(error: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    extensions: { ...error.extensions, code },
  });
}
