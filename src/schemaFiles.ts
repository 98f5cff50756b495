import { printSubgraphSchema } from '@apollo/subgraph';
import { printSchema } from 'graphql';
import { buildLipSyncSchema } from './schema';

const HEADER = '# Generated from the code by `npm run schema`; a test fails when it differs from what the server serves.\n\n';

/**
 * The committed schema files: `schema.graphql` is the whole served API (what introspection shows, federation
 * fields included); `subgraph.graphql` is the federation SDL a router composes (`_service { sdl }`).
 */
export async function renderSchemaFiles(): Promise<Record<'schema.graphql' | 'subgraph.graphql', string>> {
  const schema = await buildLipSyncSchema();
  return {
    'schema.graphql': HEADER + printSchema(schema) + '\n',
    'subgraph.graphql': HEADER + printSubgraphSchema(schema) + '\n',
  };
}
