/**
 * Where the time went in a V8 .cpuprofile (from `node --cpu-prof`): self time per function (functionName + url;
 * anonymous functions also by line, or every arrow in a file would merge) and per package.
 *
 *   node bench/dist/bench/profileSummary.js bench/profiles/<file>.cpuprofile [--top 25]
 */
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './paths';
import { table } from './report';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Entry {
  name: string;
  location: string;
  group: string;
  selfUs: number;
}

export interface Summary {
  file: string;
  totalUs: number;
  idleUs: number;
  busyUs: number;
  entries: Entry[];
  groups: Array<{ group: string; selfUs: number }>;
}

const SPECIAL = new Map<string, string>([
  ['(garbage collector)', 'GC'],
  ['(program)', 'V8/native (program)'],
  ['(idle)', 'idle'],
  ['(root)', 'idle'],
]);

/** Package families named in the harness's brief; everything else keeps its own package name. */
const FAMILIES: Array<[RegExp, string]> = [
  [/^@apollo\/|^apollo-/, 'apollo'],
  [/^graphql$/, 'graphql'],
  [/^type-graphql$/, 'type-graphql'],
  [/^(class-validator|validator|libphonenumber-js)$/, 'class-validator'],
  [
    /^(pino|pino-std-serializers|sonic-boom|fast-redact|@pinojs\/redact|thread-stream|quick-format-unescaped|atomic-sleep|on-exit-leak-free|safe-stable-stringify)$/,
    'pino',
  ],
  [/^(better-sqlite3|bindings)$/, 'better-sqlite3'],
  [/^(prom-client|tdigest|bintrees)$/, 'prom-client'],
  [/^@escape\.tech\/graphql-armor/, 'graphql-armor'],
  [/^@graphql-tools\//, 'graphql-tools'],
];

function packageOf(url: string): string | null {
  const at = url.lastIndexOf('/node_modules/');
  if (at === -1) return null;
  const parts = url.slice(at + '/node_modules/'.length).split('/');
  return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
}

/** The group of a frame with a URL; null for frames without one (V8 builtins and native callbacks). */
function groupOfUrl(url: string): string | null {
  if (url === '') return null;
  if (url.startsWith('node:')) return 'node internals';
  const pkg = packageOf(url);
  if (pkg) return FAMILIES.find(([pattern]) => pattern.test(pkg))?.[1] ?? pkg;
  if (url.includes('/bench/dist/')) return 'bench harness';
  if (url.includes('/dist/')) return 'our src';
  return 'other';
}

function displayLocation(frame: CallFrame): string {
  if (!frame.url) return '';
  let url = frame.url.replace(/^file:\/\//, '');
  const pkgAt = url.lastIndexOf('/node_modules/');
  if (pkgAt !== -1) url = url.slice(pkgAt + '/node_modules/'.length);
  else if (url.startsWith(ROOT))
    url = path
      .relative(ROOT, url)
      .replace(/^dist\//, 'src/')
      .replace(/\.js$/, '.ts');
  return `${url}:${frame.lineNumber + 1}`;
}

export function summarise(file: string): Summary {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  // Sample i lasts until sample i+1 (as DevTools counts); the last one until the profile's end.
  const selfUs = new Map<number, number>();
  let at = profile.startTime;
  const stamps = profile.timeDeltas.map((delta) => (at += delta));
  for (let i = 0; i < profile.samples.length; i++) {
    const duration = (i + 1 < stamps.length ? stamps[i + 1] : profile.endTime) - stamps[i];
    if (duration > 0) selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + duration);
  }

  /** Builtins and native callbacks (JSON.parse, a better-sqlite3 statement's get) count for the code that called them. */
  const groupCache = new Map<number, string>();
  const groupOf = (id: number): string => {
    const cached = groupCache.get(id);
    if (cached) return cached;
    const frame = (byId.get(id) as ProfileNode).callFrame;
    let group = SPECIAL.get(frame.functionName) ?? groupOfUrl(frame.url);
    if (group === null) {
      const caller = parent.get(id);
      const callerGroup = caller === undefined ? 'V8/native' : groupOf(caller);
      group =
        callerGroup.startsWith('native ← ') || callerGroup.startsWith('V8') ? callerGroup : `native ← ${callerGroup}`;
    }
    groupCache.set(id, group);
    return group;
  };

  const entries = new Map<string, Entry>();
  const groups = new Map<string, number>();
  let idleUs = 0;
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    totalUs += us;
    const group = groupOf(id);
    if (group === 'idle') {
      idleUs += us;
      continue;
    }
    const frame = (byId.get(id) as ProfileNode).callFrame;
    const name = frame.functionName || '(anonymous)';
    const key = `${name}\0${frame.url}\0${frame.functionName ? '' : frame.lineNumber}\0${frame.url ? '' : group}`;
    const entry = entries.get(key) ?? { name, location: displayLocation(frame), group, selfUs: 0 };
    entry.selfUs += us;
    entries.set(key, entry);
    groups.set(group, (groups.get(group) ?? 0) + us);
  }
  return {
    file,
    totalUs,
    idleUs,
    busyUs: totalUs - idleUs,
    entries: [...entries.values()].sort((a, b) => b.selfUs - a.selfUs),
    groups: [...groups.entries()].map(([group, us]) => ({ group, selfUs: us })).sort((a, b) => b.selfUs - a.selfUs),
  };
}

/** Native frames folded into their caller's package, for the "by package" view. */
function packageTotals(summary: Summary): Array<{ group: string; selfUs: number; nativeUs: number }> {
  const totals = new Map<string, { selfUs: number; nativeUs: number }>();
  for (const { group, selfUs } of summary.groups) {
    const native = group.startsWith('native ← ');
    const name = native ? group.slice('native ← '.length) : group;
    const t = totals.get(name) ?? { selfUs: 0, nativeUs: 0 };
    t.selfUs += selfUs;
    if (native) t.nativeUs += selfUs;
    totals.set(name, t);
  }
  return [...totals.entries()].map(([group, t]) => ({ group, ...t })).sort((a, b) => b.selfUs - a.selfUs);
}

export function formatSummary(summary: Summary, top = 25): string {
  const pct = (us: number) => `${((100 * us) / summary.busyUs).toFixed(1)}%`;
  const ms = (us: number) => (us / 1000).toFixed(0);
  const topEntries = summary.entries.slice(0, top);
  const topByGroup = new Map<string, number>();
  for (const e of topEntries) topByGroup.set(e.group, (topByGroup.get(e.group) ?? 0) + e.selfUs);
  return [
    `${path.relative(process.cwd(), summary.file)}: ${(summary.totalUs / 1e6).toFixed(1)} s profiled, ` +
      `${(summary.busyUs / 1e6).toFixed(1)} s busy (idle ${(summary.idleUs / 1e6).toFixed(1)} s); percentages are of busy time`,
    '',
    `Top ${top} functions by self time:`,
    table(
      ['#', 'self ms', '% busy', 'package', 'function', 'location'],
      topEntries.map((e, i) => [String(i + 1), ms(e.selfUs), pct(e.selfUs), e.group, e.name, e.location]),
    ),
    '',
    `The top ${top} grouped by package:`,
    table(
      ['package', 'self ms', '% busy'],
      [...topByGroup.entries()].sort((a, b) => b[1] - a[1]).map(([group, us]) => [group, ms(us), pct(us)]),
    ),
    '',
    'Every sample by package (builtins/native calls counted for their caller):',
    table(
      ['package', 'self ms', '% busy', 'of which native'],
      packageTotals(summary).map((t) => [t.group, ms(t.selfUs), pct(t.selfUs), t.nativeUs ? ms(t.nativeUs) : '']),
    ),
  ].join('\n');
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const files: string[] = [];
  let top = 25;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--top') top = Number(args[++i]);
    else files.push(args[i]);
  }
  if (files.length === 0) {
    console.error('usage: node bench/dist/bench/profileSummary.js <file.cpuprofile>… [--top N]');
    process.exit(2);
  }
  for (const file of files) console.log(`${formatSummary(summarise(file), top)}\n`);
}
