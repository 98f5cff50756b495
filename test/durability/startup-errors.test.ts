import fs from 'node:fs';
import path from 'node:path';
import { makeTempDir, requireBuild, runToCompletion } from '../support/childServer';

/**
 * An operator who gets the configuration wrong sees one line that names the variable, and the process exits 1:
 * no stack trace, no secret, no half-started server.
 */
describe('start-up errors: exit 1 with one line naming the variable', () => {
  let dir: string;
  beforeAll(() => {
    requireBuild();
    dir = makeTempDir('lipsync-startup-');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const SECRET = 'sk-never-print-this-9f2c';

  async function expectOneLineFailure(env: Record<string, string>, variable: string, detail?: RegExp): Promise<string> {
    const result = await runToCompletion(
      { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', DATABASE_URL: `file:${path.join(dir, 'ok.db')}`, ...env },
      { cwd: dir },
    );
    const context = `stderr was:\n${result.stderr}\nstdout was:\n${result.stdout}`;
    expect({ code: result.code, signal: result.signal, context }).toEqual({ code: 1, signal: null, context });
    const lines = result.stderr.split('\n').filter((line) => line.trim() !== '');
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(line.startsWith('lipsync-graph:')).toBe(true);
    expect(line).toContain(variable);
    if (detail) expect(line).toMatch(detail);
    expect(result.stderr + result.stdout).not.toMatch(/^\s+at .+\(.+:\d+:\d+\)/m); // no stack frame anywhere
    expect(result.stderr + result.stdout).not.toContain(SECRET);
    return line;
  }

  it('KLING_BASE_URL that is not a URL', async () => {
    await expectOneLineFailure({ KLING_BASE_URL: 'not-a-url', KLING_API_KEY: SECRET }, 'KLING_BASE_URL', /URL/);
  });

  it('only KLING_ACCESS_KEY (no secret key)', async () => {
    await expectOneLineFailure(
      { KLING_BASE_URL: 'https://api-singapore.klingai.com', KLING_ACCESS_KEY: SECRET },
      'KLING_SECRET_KEY',
    );
  });

  it('PORT=abc', async () => {
    await expectOneLineFailure({ PORT: 'abc' }, 'PORT');
  });

  it('DATABASE_URL in a place that cannot be written (/proc)', async () => {
    await expectOneLineFailure({ DATABASE_URL: 'file:/proc/nope/x.db' }, 'DATABASE_URL', /\/proc\/nope/);
  });

  it('DATABASE_URL naming a corrupt SQLite file (junk bytes)', async () => {
    const corrupt = path.join(dir, 'corrupt.db');
    fs.writeFileSync(corrupt, Buffer.from('this is not a SQLite database, just junk bytes\n'.repeat(200)));
    await expectOneLineFailure({ DATABASE_URL: `file:${corrupt}` }, 'DATABASE_URL', /not a (SQLite )?database/i);
    // The file is left as it was for the operator to look at, not "repaired" or replaced.
    expect(fs.readFileSync(corrupt, 'utf8').startsWith('this is not a SQLite database')).toBe(true);
  });
});
