import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Typed operations for the demo (and any web app): `npm run codegen` reads the operations in examples/web/src
 * against schema.graphql and writes examples/web/src/gql/. Paths are relative to the repository root, where
 * npm runs scripts; test/web/codegen-fresh.test.ts fails when the written files are stale.
 */
const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['examples/web/src/**/*.ts', '!examples/web/src/gql/**'],
  ignoreNoDocuments: false,
  generates: {
    'examples/web/src/gql/': {
      preset: 'client',
      // Plain strings typed with their result and variables: sent as they are by fetch and graphql-ws,
      // so the browser needs no GraphQL library to parse or print documents.
      config: { documentMode: 'string', useTypeImports: true, scalars: { DateTime: 'string' } },
      presetConfig: { fragmentMasking: false },
    },
  },
};

export default config;
