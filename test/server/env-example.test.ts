import fs from 'node:fs';
import path from 'node:path';
import { CONFIG_VARIABLES, loadConfig } from '../../src/config';

const EXAMPLE = path.resolve(__dirname, '../../.env.example');

/** `NAME=value` lines, commented out (`# NAME=value`) or not. */
function exampleAssignments(): Map<string, string> {
  const assignments = new Map<string, string>();
  for (const line of fs.readFileSync(EXAMPLE, 'utf8').split('\n')) {
    const match = /^#?\s?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (match) assignments.set(match[1], match[2]);
  }
  return assignments;
}

describe('.env.example', () => {
  it('lists every variable the server reads, and nothing it does not', () => {
    expect([...exampleAssignments().keys()].sort()).toEqual([...CONFIG_VARIABLES].sort());
  });

  it("matches the README's count of variables", () => {
    const readme = fs.readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');
    expect(/all (\d+) are in \[docs\/operations\.md\]/.exec(readme)?.[1]).toBe(String(CONFIG_VARIABLES.length));
  });

  it('is a valid configuration as written (its uncommented lines are the defaults)', () => {
    const active = Object.fromEntries(
      fs
        .readFileSync(EXAMPLE, 'utf8')
        .split('\n')
        .map((line) => /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line))
        .filter((match): match is RegExpExecArray => match !== null)
        .map((match) => [match[1], match[2]]),
    );
    expect(loadConfig(active)).toEqual(loadConfig({}));
  });
});
