import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { ValidationRule } from 'graphql';
import type { Config } from '../config';
import { AnonymousServiceSdlRule } from '../graphql/anonymousServiceSdlRule';

/**
 * Depth, cost and alias limits (graphql-armor) on every path, plus, for an anonymous production server, the rule
 * that keeps `_service { sdl }` to itself. The token limit is MAX_TOKENS (./servingLimits.ts), set on the parser.
 */
export function queryLimits(config: Config): {
  validationRules: ValidationRule[];
  plugins: ReturnType<ApolloArmor['protect']>['plugins'];
} {
  const armor = new ApolloArmor({
    maxDepth: { n: 12, ignoreIntrospection: true },
    costLimit: { maxCost: 5000, ignoreIntrospection: true },
    maxAliases: { n: 15 },
    // graphql-armor's token plugin re-parses inside a plugin hook, so a syntax error became a 500;
    // graphql-js counts tokens while parsing and reports a proper 400 (parseOptions in ./buildGraphQL.ts).
    maxTokens: { enabled: false },
    // Suggestions are removed on every path (fast lane and WebSocket too) by the shared formatter (src/graphql/formatError.ts).
    blockFieldSuggestion: { enabled: false },
  }).protect();
  const validationRules =
    config.production && !config.authTokens
      ? [...armor.validationRules, AnonymousServiceSdlRule]
      : armor.validationRules;
  return { validationRules, plugins: armor.plugins };
}
