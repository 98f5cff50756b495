/**
 * `npm run bench`: the performance scenarios B1–B8 on this machine, everything on 127.0.0.1, each process
 * (server under test, fake upstream, bare baseline) in its own child; load and WebSocket clients run here.
 * Prints a summary table and the load runs, writes bench/results.json. See `npm run bench -- --help`.
 */
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { killAllChildren } from './children';
import { parseOptions, type BenchOptions, type ScenarioId } from './options';
import { PROFILE_DIR, RESULTS_FILE, ROOT } from './paths';
import { formatSummary, summarise } from './profileSummary';
import { runTable, verdictTable, type ScenarioResult } from './report';
import { runB1 } from './scenarios/b1Create';
import { runB2 } from './scenarios/b2Read';
import { runB3 } from './scenarios/b3FanOut';
import { runB4 } from './scenarios/b4SubscriptionMemory';
import { runB5 } from './scenarios/b5Startup';
import { runB6 } from './scenarios/b6Passthrough';
import { runB7 } from './scenarios/b7UpstreamCalls';
import { runB8 } from './scenarios/b8FollowedTasks';
import type { RunContext } from './stack';
import { OtlpReceiver } from '../test/support/otlpReceiver';

const SCENARIO_RUNNERS: Record<ScenarioId, (ctx: RunContext) => Promise<ScenarioResult>> = {
  B1: runB1,
  B2: runB2,
  B3: runB3,
  B4: runB4,
  B5: runB5,
  B6: runB6,
  B7: runB7,
  B8: runB8,
};

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const startedAt = new Date();
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lipsync-bench-'));
  const results: ScenarioResult[] = [];
  const failures: Array<{ id: string; error: string }> = [];
  const ctx: RunContext = {
    options,
    tmpDir,
    progress: (line) =>
      process.stderr.write(`[${((Date.now() - startedAt.getTime()) / 1000).toFixed(0).padStart(3)} s] ${line}\n`),
    seconds: (full, quick) => (options.quick ? quick : full),
  };
  const otlp = options.otlp ? await OtlpReceiver.start({ keepSpans: false }) : null;
  if (otlp) options.serverEnv.OTEL_EXPORTER_OTLP_ENDPOINT ??= otlp.endpoint;
  const profilesBefore = new Set(listProfiles());
  const loadAtStart = os.loadavg()[0];

  let finished = false;
  const report = () => {
    if (finished) return;
    finished = true;
    printReport(options, startedAt, results, failures, loadAtStart);
    if (options.cpuProf) printProfiles(profilesBefore);
  };
  const watchdog = setTimeout(() => {
    ctx.progress(`budget of ${options.budgetSeconds} s exceeded: stopping with what was measured`);
    failures.push({
      id: 'run',
      error: `whole run exceeded ${options.budgetSeconds} s; the scenario in progress and later ones were not finished`,
    });
    killAllChildren();
    report();
    fs.rmSync(tmpDir, { recursive: true, force: true });
    process.exit(1);
  }, options.budgetSeconds * 1000);
  watchdog.unref();
  process.once('SIGINT', () => {
    killAllChildren();
    process.exit(130);
  });

  ctx.progress(
    `scenarios ${options.only.join(', ')}${options.quick ? ' (quick)' : ''}${options.cpuProf ? ' (under --cpu-prof)' : ''}; work files in ${tmpDir}`,
  );
  for (const id of options.only) {
    try {
      results.push(await SCENARIO_RUNNERS[id](ctx));
    } catch (error) {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      ctx.progress(`${id} failed: ${message}`);
      failures.push({ id, error: message });
    }
  }
  clearTimeout(watchdog);
  if (otlp) {
    ctx.progress(`OTLP receiver: ${otlp.requestCount} export requests, ${(otlp.byteCount / 1e6).toFixed(1)} MB`);
    await otlp.close();
  }
  report();
  fs.rmSync(tmpDir, { recursive: true, force: true });
  const failed = failures.length > 0 || results.some((r) => r.verdicts.some((v) => v.pass === false));
  return failed ? 1 : 0;
}

function printReport(
  options: BenchOptions,
  startedAt: Date,
  results: ScenarioResult[],
  failures: Array<{ id: string; error: string }>,
  loadAtStart: number,
): void {
  const seconds = (Date.now() - startedAt.getTime()) / 1000;
  const commit = gitCommit();
  // Other work on the box shows up here first: compare µs/req (CPU time) rather than req/s when it is high.
  const load = `load average ${loadAtStart.toFixed(2)} at start, ${os.loadavg()[0].toFixed(2)} at end`;
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'cpu'}, node ${process.version}, ${os.platform()} ${os.release()}, ${load}`;
  const lines = [
    '',
    `lipsync-graph bench — ${startedAt.toISOString()} — commit ${commit} — ${machine}${options.quick ? ' — QUICK' : ''}${options.cpuProf ? ' — UNDER --cpu-prof (throughput not comparable)' : ''}` +
      (Object.keys(options.serverEnv).length ? ` — server env ${JSON.stringify(options.serverEnv)}` : ''),
    '',
    verdictTable(results.flatMap((r) => r.verdicts)),
  ];
  const runs = results.flatMap((r) => r.runs);
  if (runs.length > 0)
    lines.push(
      '',
      'Load runs (measured windows; warm-up excluded; µs/req = CPU time of the answering process per request):',
      runTable(runs),
    );
  const notes = results.flatMap((r) => r.notes);
  if (notes.length > 0) lines.push('', ...notes);
  for (const failure of failures) lines.push('', `${failure.id} DID NOT RUN TO THE END: ${failure.error}`);
  lines.push('', `total ${seconds.toFixed(0)} s; results in ${path.relative(process.cwd(), RESULTS_FILE)}`);
  console.log(lines.join('\n'));
  fs.writeFileSync(
    RESULTS_FILE,
    `${JSON.stringify(
      {
        startedAt: startedAt.toISOString(),
        seconds,
        commit,
        machine: {
          cpus: os.cpus().length,
          model: os.cpus()[0]?.model,
          node: process.version,
          platform: `${os.platform()} ${os.release()}`,
          load,
        },
        options,
        verdicts: results.flatMap((r) => r.verdicts),
        scenarios: Object.fromEntries(results.map((r) => [r.id, { data: r.data, runs: r.runs, notes: r.notes }])),
        failures,
      },
      null,
      2,
    )}\n`,
  );
}

function printProfiles(before: Set<string>): void {
  const fresh = listProfiles().filter((file) => !before.has(file));
  if (fresh.length === 0) {
    console.log('\nno new CPU profile in bench/profiles (did the server children stop cleanly?)');
    return;
  }
  for (const file of fresh) console.log(`\n${formatSummary(summarise(path.join(PROFILE_DIR, file)))}`);
}

function listProfiles(): string[] {
  try {
    return fs
      .readdirSync(PROFILE_DIR)
      .filter((f) => f.endsWith('.cpuprofile'))
      .sort();
  } catch {
    return [];
  }
}

function gitCommit(): string {
  try {
    const head = execSync('git rev-parse --short HEAD', {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    const dirty = execSync('git status --porcelain --untracked-files=no -- src', {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return dirty ? `${head}+uncommitted src changes` : head;
  } catch {
    return 'unknown';
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    killAllChildren();
    process.exit(2);
  },
);
