import { GraphQLError, type ValidationRule } from 'graphql';

/**
 * In production without client tokens nobody is authenticated, so nobody gets `_service { sdl }`: the whole
 * schema, descriptions included, is for the federation router, which holds a token (AUTH_TOKENS).
 */
export const AnonymousServiceSdlRule: ValidationRule = (context) => ({
  Field(node) {
    if (node.name.value === '_service' && context.getParentType() === context.getSchema().getQueryType()) {
      context.reportError(
        new GraphQLError(
          '_service is served only to authenticated callers (set AUTH_TOKENS and give the router a token)',
          {
            nodes: node,
          },
        ),
      );
    }
  },
});
