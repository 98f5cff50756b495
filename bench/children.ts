import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import type { ChildReply, ReadyMessage, RequestType, Usage } from './protocol';

export interface ChildOptions {
  /** shown in errors and used for the log file name */
  name: string;
  entry: string;
  args?: string[];
  env?: Record<string, string>;
  execArgv?: string[];
  cwd?: string;
  /** stdout and stderr go here (a pipe to the harness would cost the harness CPU) */
  logFile: string;
  readyTimeoutMs?: number;
}

const running = new Set<ChildProcess>();

/** Only what a child needs from the harness's environment; everything else is given explicitly. */
export function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ']) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/** A child process of the harness (server, fake upstream, bare baseline) with its IPC requests. */
export class Child {
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (reply: ChildReply) => void; reject: (error: Error) => void }
  >();
  private exited: Promise<number | null>;

  private constructor(
    readonly name: string,
    private readonly process: ChildProcess,
    readonly ready: ReadyMessage,
    private readonly logFile: string,
  ) {
    this.exited = new Promise((resolve) => process.once('exit', (code) => resolve(code)));
    process.on('message', (raw) => {
      const reply = raw as ChildReply;
      const waiter = this.pending.get(reply.id);
      if (!waiter) return;
      this.pending.delete(reply.id);
      if (reply.error) waiter.reject(new Error(`${name}: ${reply.error}`));
      else waiter.resolve(reply);
    });
    process.once('exit', () => {
      for (const waiter of this.pending.values()) waiter.reject(new Error(`${name} exited; see ${logFile}`));
      this.pending.clear();
    });
  }

  static async start(options: ChildOptions): Promise<Child> {
    const log = fs.openSync(options.logFile, 'a');
    const child = fork(options.entry, options.args ?? [], {
      cwd: options.cwd,
      env: { ...baseEnv(), ...options.env },
      execArgv: options.execArgv ?? [],
      stdio: ['ignore', log, log, 'ipc'],
    });
    fs.closeSync(log);
    running.add(child);
    child.once('exit', () => running.delete(child));
    const ready = await new Promise<ReadyMessage>((resolve, reject) => {
      const timer = setTimeout(
        () => fail(new Error(`${options.name} not ready after ${options.readyTimeoutMs ?? 20_000} ms`)),
        options.readyTimeoutMs ?? 20_000,
      );
      const onMessage = (message: unknown) => {
        if ((message as ReadyMessage).type !== 'ready') return;
        clearTimeout(timer);
        child.off('exit', onExit);
        child.off('message', onMessage);
        resolve(message as ReadyMessage);
      };
      const onExit = (code: number | null) =>
        fail(new Error(`${options.name} exited with ${code} before it was ready:\n${tail(options.logFile)}`));
      function fail(error: Error) {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.kill('SIGKILL');
        reject(error);
      }
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
    return new Child(options.name, child, ready, options.logFile);
  }

  get pid(): number {
    return this.process.pid as number;
  }

  get origin(): string {
    return this.ready.origin;
  }

  extra(name: string): string {
    const value = this.ready.extra?.[name];
    if (value === undefined) throw new Error(`${this.name} did not report ${name}`);
    return value;
  }

  async usage(): Promise<Usage> {
    return (await this.call('usage')).usage as Usage;
  }

  /** Usage after full garbage collections (the child needs --expose-gc). */
  async settledUsage(): Promise<Usage> {
    return (await this.call('gc')).usage as Usage;
  }

  async resetStats(): Promise<void> {
    await this.call('resetStats');
  }

  /** Clean stop (lets --cpu-prof write its profile); killed if it takes longer than the timeout. */
  async stop(timeoutMs = 15_000): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    const timer = setTimeout(() => this.process.kill('SIGKILL'), timeoutMs);
    try {
      await this.call('stop').catch(() => undefined);
      await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  logTail(): string {
    return tail(this.logFile);
  }

  private call(type: RequestType): Promise<ChildReply> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.process.send({ id, type }, (error) => {
        if (!error) return;
        this.pending.delete(id);
        reject(error);
      });
    });
  }
}

/** Registers a process started elsewhere (B5 runs dist/index.js itself) so the last resort reaches it too. */
export function trackProcess(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
}

/** Last resort (watchdog, Ctrl-C): SIGKILL every child this harness started, by its own handle. */
export function killAllChildren(): void {
  for (const child of running) child.kill('SIGKILL');
}

export function tail(file: string, lines = 15): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
