import { graphql, printSchema, type GraphQLSchema } from 'graphql';
import { buildLipSyncSchema } from './schema';

const HEADER =
  '# Generated from the code by `npm run schema`; a test fails when it differs from what the server serves.\n\n';

/**
 * The committed schema files: `schema.graphql` is the whole served API (what introspection shows, federation
 * fields included); `subgraph.graphql` is the federation SDL a router composes (`_service { sdl }`).
 */
export async function renderSchemaFiles(): Promise<Record<'schema.graphql' | 'subgraph.graphql', string>> {
  const schema = await buildLipSyncSchema();
  return {
    'schema.graphql': HEADER + printSchema(schema) + '\n',
    'subgraph.graphql': HEADER + (await serviceSdl(schema)) + '\n',
  };
}

/**
 * Asks the schema itself, as a router does: `_service { sdl }` is the SDL `buildSubgraphSchema` was given,
 * which is not what `printSubgraphSchema` prints (that one adds federation's own definitions and fields).
 */
async function serviceSdl(schema: GraphQLSchema): Promise<string> {
  const result = await graphql({ schema, source: '{ _service { sdl } }' });
  const sdl = (result.data?._service as { sdl?: unknown } | null | undefined)?.sdl;
  if (result.errors || typeof sdl !== 'string') {
    throw new Error(`_service { sdl } failed: ${JSON.stringify(result.errors ?? result.data)}`);
  }
  return sdl;
}
