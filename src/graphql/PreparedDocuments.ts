import { GraphQLError, parse, specifiedRules, validate, type DocumentNode, type GraphQLSchema, type ValidationRule } from 'graphql';

export type Prepared = { document: DocumentNode; errors?: undefined } | { document?: undefined; errors: readonly GraphQLError[] };

export interface PreparedDocumentsOptions {
  schema: GraphQLSchema;
  /** rules on top of graphql's own (query limits, no introspection in production) */
  rules: readonly ValidationRule[];
  maxTokens: number;
  /** distinct operation texts remembered */
  capacity?: number;
}

/**
 * Parses and validates each distinct operation text once. Clients send the same few operations over and
 * over, so this turns per-request parsing into a map lookup, and lets thousands of subscriptions to one
 * operation share one syntax tree instead of holding a copy each.
 */
export class PreparedDocuments {
  private readonly entries = new Map<string, Prepared>();
  private readonly rules: readonly ValidationRule[];
  private readonly capacity: number;

  constructor(private readonly options: PreparedDocumentsOptions) {
    this.rules = [...specifiedRules, ...options.rules];
    this.capacity = options.capacity ?? 1000;
  }

  get(query: string): Prepared {
    const known = this.entries.get(query);
    if (known) return known;
    const prepared = this.prepare(query);
    if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(query, prepared);
    return prepared;
  }

  private prepare(query: string): Prepared {
    let document: DocumentNode;
    try {
      document = parse(query, { maxTokens: this.options.maxTokens });
    } catch (error) {
      return { errors: [coded(error instanceof GraphQLError ? error : new GraphQLError(String(error)), 'GRAPHQL_PARSE_FAILED')] };
    }
    const errors = validate(this.options.schema, document, this.rules);
    return errors.length > 0 ? { errors: errors.map((e) => coded(e, 'GRAPHQL_VALIDATION_FAILED')) } : { document };
  }
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
