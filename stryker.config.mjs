// @ts-check
/**
 * Mutation testing: `npm run mutation` (docs/testing.md). Not part of `npm test`: every mutant reruns the tests
 * that cover it, and most tests here start a real server, so a whole run takes hours on a small machine.
 *
 * Scope a run with the CLI (`npm run mutation -- --mutate 'src/upstream/RateLimiter.ts'`) and, to measure one
 * folder quickly, the tests it runs with MUTATION_TESTS (comma-separated folders or files under test/, e.g.
 * MUTATION_TESTS=test/upstream). Without it every related test runs, which is the score to trust.
 */
const onlyTests = (process.env.MUTATION_TESTS ?? '')
  .split(',')
  .map((entry) => entry.trim().replace(/\/+$/, ''))
  .filter(Boolean);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'jest',
  jest: {
    projectType: 'custom',
    configFile: 'jest.config.js',
    // Only the tests that import the mutated file (through any chain of imports) run for its mutants.
    enableFindRelatedTests: true,
    config: {
      // src/ as a root too, or Jest cannot follow imports from a test through src/ to the mutated file.
      roots: ['<rootDir>/test', '<rootDir>/src'],
      // The child-process tests run the built dist/, never the mutated sources: they cannot kill a mutant.
      testPathIgnorePatterns: [
        '/node_modules/',
        '<rootDir>/test/durability/crash.test.ts',
        '<rootDir>/test/durability/restart-and-shutdown.test.ts',
        '<rootDir>/test/durability/startup-errors.test.ts',
      ],
      ...(onlyTests.length > 0
        ? {
            testMatch: onlyTests.map((entry) =>
              entry.endsWith('.ts') ? `<rootDir>/${entry}` : `<rootDir>/${entry}/**/*.test.ts`,
            ),
          }
        : {}),
    },
  },
  // Each mutant runs only the tests that reached it in the first (coverage) run.
  coverageAnalysis: 'perTest',
  // Mutants in module-level code would need every test file rerun each time.
  ignoreStatic: true,
  mutate: ['src/services/**/*.ts', 'src/upstream/**/*.ts', 'src/store/**/*.ts', 'src/types/validation/**/*.ts'],
  // Reruns only mutants whose code or tests changed since the last run. The file stays local (reports/ is
  // ignored): it is rewritten by every run and would conflict between branches.
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  // The machine is small and shared: one test runner; raise with --concurrency on a bigger one.
  concurrency: 1,
  // Generous: a mutant is a timeout only if it runs far longer than the unmutated tests did.
  timeoutFactor: 3,
  timeoutMS: 10_000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
