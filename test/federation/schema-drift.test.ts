import fs from 'node:fs';
import path from 'node:path';
import {
  buildClientSchema,
  buildSchema,
  getIntrospectionQuery,
  lexicographicSortSchema,
  printSchema,
  type GraphQLSchema,
  type IntrospectionQuery,
} from 'graphql';
import { renderSchemaFiles } from '../../src/schemaFiles';
import { fetchSubgraphSdl } from '../support/federation';
import { startTestServer, type TestServer } from '../support/testServer';

/**
 * schema.graphql and subgraph.graphql are the reviewed face of the API: they must be what the code
 * generates, and what a running server actually serves.
 */
type SchemaFile = 'schema.graphql' | 'subgraph.graphql';
const REPO_ROOT = path.join(__dirname, '..', '..');
const REGENERATE = 'run `npm run schema` and commit the result';

function committed(name: SchemaFile): string {
  return fs.readFileSync(path.join(REPO_ROOT, name), 'utf8');
}

/** The file without its generated-file comment: the leading `#` lines and the blank line after them. */
function bodyOf(name: SchemaFile): string {
  return committed(name).replace(/^(#[^\n]*\n)+\n/, '');
}

/** toBe, with a first line that says what to do about a difference. */
function expectSameText(actual: string, expected: string, hint: string): void {
  try {
    expect(actual).toBe(expected);
  } catch (error) {
    (error as Error).message = `${hint}\n\n${(error as Error).message}`;
    throw error;
  }
}

/** Order-independent print: type and field order are presentation, not API. */
function canonical(schema: GraphQLSchema): string {
  return printSchema(lexicographicSortSchema(schema));
}

describe('committed schema files match the code', () => {
  it.each<SchemaFile>(['schema.graphql', 'subgraph.graphql'])('%s', async (name) => {
    const rendered = await renderSchemaFiles();
    expectSameText(committed(name), rendered[name], `${name} differs from what the code generates: ${REGENERATE}.`);
  });
});

describe('the running server serves the committed schema', () => {
  let testServer: TestServer;

  beforeAll(async () => {
    testServer = await startTestServer();
  });

  afterAll(async () => {
    await testServer?.close();
  });

  it('_service { sdl } is subgraph.graphql', async () => {
    const sdl = await fetchSubgraphSdl(testServer.client);
    expectSameText(
      `${sdl}\n`,
      bodyOf('subgraph.graphql'),
      'the subgraph SDL served to routers differs from subgraph.graphql.',
    );
  });

  it('introspection describes schema.graphql', async () => {
    const query = getIntrospectionQuery({
      descriptions: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      schemaDescription: true,
      inputValueDeprecation: true,
    });
    const { body } = await testServer.client.request<IntrospectionQuery>(query);
    expect(body.errors).toBeUndefined();
    const served = canonical(buildClientSchema(body.data!));
    const file = canonical(buildSchema(bodyOf('schema.graphql')));
    expectSameText(served, file, 'the schema clients introspect differs from schema.graphql.');
  });
});
