import type { LoadRun } from './load';
import type { ScenarioId } from './options';

/** One row of the summary table. `pass: null` is information without a target. */
export interface Verdict {
  scenario: string;
  measured: string;
  target: string;
  pass: boolean | null;
}

export interface ScenarioResult {
  id: ScenarioId;
  verdicts: Verdict[];
  /** load runs, printed in the detail table */
  runs: LoadRun[];
  /** everything measured, for results.json */
  data: Record<string, unknown>;
  notes: string[];
}

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

export function verdictTable(verdicts: Verdict[]): string {
  return table(
    ['scenario', 'measured', 'target', 'result'],
    verdicts.map((v) => [v.scenario, v.measured, v.target, v.pass === null ? 'info' : v.pass ? 'PASS' : 'FAIL']),
  );
}

export function runTable(runs: LoadRun[]): string {
  return table(
    ['run', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'µs/req', 'loop delay p99/max ms', 'requests', 'errors/non-2xx'],
    runs.map((r) => [
      r.label,
      fixed(r.rps, 0) + (r.rate ? ` (of ${fixed(r.rate, 0)})` : ''),
      fixed(r.p50, r.p50 < 10 ? 2 : 1),
      fixed(r.p99, r.p99 < 10 ? 2 : 1),
      fixed(r.max, 1),
      r.cpuPerRequestUs === null ? '—' : fixed(r.cpuPerRequestUs, 0),
      r.loopDelayP99Ms === undefined ? '—' : `${fixed(r.loopDelayP99Ms, 1)} / ${fixed(r.loopDelayMaxMs ?? NaN, 1)}`,
      String(r.requests),
      `${r.errors}/${r.non2xx}${r.unfinished ? ` (+${r.unfinished} cut)` : ''}${r.stoppedEarly ? `, stopped after ${fixed(r.seconds, 1)} s` : ''}`,
    ]),
  );
}

export function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '—';
}

export function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function ratio(a: number, b: number): number {
  return b > 0 ? a / b : NaN;
}
