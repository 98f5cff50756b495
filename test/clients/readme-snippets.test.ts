import { readmeClientSnippets, readRepoFile } from '../support/readmeSnippets';

/**
 * README.md's client snippets are run by the tests they name; this keeps the two the same code. Every line
 * of a TypeScript snippet must be a line of its test (indentation aside); the curl test runs the README's
 * command itself.
 */
const snippets = readmeClientSnippets();

it('names a test for each client the README shows', () => {
  expect(snippets.map((s) => s.testFile).sort()).toEqual([
    'test/clients/apollo-client.test.ts',
    'test/clients/curl.test.ts',
    'test/clients/fetch.test.ts',
    'test/clients/graphql-ws.test.ts',
    'test/clients/urql.test.ts',
  ]);
});

it.each(snippets.filter((s) => s.language === 'ts'))(
  '$testFile runs the README snippet line for line',
  ({ testFile, code }) => {
    const testLines = new Set(
      readRepoFile(testFile)
        .split('\n')
        .map((line) => line.trim()),
    );
    const missing = code
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !testLines.has(line));
    expect(missing).toEqual([]);
  },
);
