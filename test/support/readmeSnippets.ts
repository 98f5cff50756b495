import fs from 'node:fs';
import path from 'node:path';

const REPO_ROOT = path.join(__dirname, '..', '..');
const SECTION = '## Use it from a client';

export interface ReadmeSnippet {
  language: string;
  /** the test file named on the block's first line, relative to the repository root */
  testFile: string;
  /** the block without that first line */
  code: string;
}

/**
 * The code blocks of README.md's "Use it from a client" section that name the test running them on their
 * first line (`// test/clients/x.test.ts` or `# test/clients/x.test.ts`).
 */
export function readmeClientSnippets(): ReadmeSnippet[] {
  const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf(`\n${SECTION}\n`);
  if (start < 0) throw new Error(`README.md has no "${SECTION}" section`);
  const end = readme.indexOf('\n## ', start + SECTION.length + 2);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const snippets: ReadmeSnippet[] = [];
  for (const [, language, body] of section.matchAll(/```(\w+)\n([\s\S]*?)```/g)) {
    const [first, ...rest] = body.split('\n');
    const named = /^(?:\/\/|#) (test\/clients\/[\w.-]+\.test\.ts)$/.exec(first);
    if (named) snippets.push({ language, testFile: named[1], code: rest.join('\n') });
  }
  return snippets;
}

export function readRepoFile(relative: string): string {
  return fs.readFileSync(path.join(REPO_ROOT, relative), 'utf8');
}
