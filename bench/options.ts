export const SCENARIOS = ['B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7', 'B8'] as const;
export type ScenarioId = (typeof SCENARIOS)[number];

export interface BenchOptions {
  only: ScenarioId[];
  /** shorter load windows and fewer repetitions, for iterating (numbers are noisier) */
  quick: boolean;
  /** B1/B2 server children run under `node --cpu-prof`; profiles land in bench/profiles and are summarised */
  cpuProf: boolean;
  /** whole-run watchdog, seconds */
  budgetSeconds: number;
  /** extra environment for every server-under-test child (experiments: DATABASE_URL=file::memory:, LOG_LEVEL=…) */
  serverEnv: Record<string, string>;
  /** a local OTLP/HTTP receiver in this process, and the servers under test tracing to it */
  otlp: boolean;
}

export const USAGE = `Usage: npm run bench -- [--only B1,B2] [--quick] [--cpu-prof] [--budget SECONDS]

  --only LIST   run only these scenarios (B1 create, B2 read, B3 fan-out, B4 subscription memory,
                B5 start-up, B6 upstream latency passthrough, B7 upstream calls per job,
                B8 many followed tasks and /metrics at 1 M rows); default all
  --quick       short load windows (1 s warm-up, 5 s measured) and fewer repetitions
  --cpu-prof    run the B1/B2 server under node --cpu-prof (bench/profiles/*.cpuprofile) and print
                the top self-time functions; throughput under the profiler is not comparable
  --budget S    abort (with what was measured so far) after S seconds; default 590
  --server-env K=V
                extra environment for every server under test, repeatable (experiments, e.g.
                KLING_MAX_SOCKETS=128; B2's bare reader needs the server's SQLite file)
  --otlp        trace: start an OTLP/HTTP receiver here (it counts, does not decode) and set the servers'
                OTEL_EXPORTER_OTLP_ENDPOINT to it; protocol etc. via --server-env OTEL_…

Summarise any profile again: node bench/dist/bench/profileSummary.js bench/profiles/<file>.cpuprofile [--top 25]`;

export function parseOptions(argv: string[]): BenchOptions {
  const options: BenchOptions = {
    only: [...SCENARIOS],
    quick: false,
    cpuProf: false,
    budgetSeconds: 590,
    serverEnv: {},
    otlp: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [name, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case '--only': {
        const wanted = value()
          .split(',')
          .map((s) => s.trim().toUpperCase())
          .filter(Boolean);
        const unknown = wanted.filter((s) => !(SCENARIOS as readonly string[]).includes(s));
        if (unknown.length > 0)
          throw new Error(`unknown scenario(s): ${unknown.join(', ')} (known: ${SCENARIOS.join(', ')})`);
        options.only = SCENARIOS.filter((s) => wanted.includes(s));
        break;
      }
      case '--quick':
        options.quick = true;
        break;
      case '--cpu-prof':
        options.cpuProf = true;
        break;
      case '--budget':
        options.budgetSeconds = Number(value());
        if (!(options.budgetSeconds > 0)) throw new Error('--budget must be a positive number of seconds');
        break;
      case '--server-env': {
        const pair = value();
        const eq = pair.indexOf('=');
        if (eq <= 0) throw new Error('--server-env needs NAME=VALUE');
        options.serverEnv[pair.slice(0, eq)] = pair.slice(eq + 1);
        break;
      }
      case '--otlp':
        options.otlp = true;
        break;
      case '--help':
      case '-h':
        console.log(USAGE);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${arg}\n${USAGE}`);
    }
  }
  return options;
}
