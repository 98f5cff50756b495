import {
  BrokenCircuitError,
  CircuitState,
  circuitBreaker,
  handleWhen,
  type CircuitBreakerPolicy,
  type IBreaker,
} from 'cockatiel';
import { ErrorCode, UpstreamError } from '../errors';
import type { Logger } from '../logger';

export interface BreakerSettings {
  /** failures or timeouts in a row that open the circuit */
  failures: number;
  /** ... all within this long of the first of them */
  windowMs: number;
  /** how long an open circuit refuses before one trial request may go */
  halfOpenAfterMs: number;
}

export const DEFAULT_BREAKER: BreakerSettings = { failures: 10, windowMs: 30_000, halfOpenAfterMs: 30_000 };

/** The error of a request the open circuit kept from being sent: nothing reached Kling, so it is a definite failure. */
export class UpstreamCircuitOpenError extends UpstreamError {
  constructor(retryInSeconds: number) {
    const message = `Kling is failing; requests are paused for up to ${retryInSeconds} s before trying again`;
    super(
      ErrorCode.UPSTREAM_UNAVAILABLE,
      message,
      { httpStatus: null, code: null, message, requestId: null },
      true,
      false,
    );
  }
}

/**
 * A circuit breaker around every request to Kling (cockatiel 3.x: no dependencies, Node ≥ 16; its 4.x needs
 * Node ≥ 22 and opossum 10 too, and this server runs on Node 20 and 24). While Kling is down or hanging,
 * callers get UPSTREAM_UNAVAILABLE at once instead of each waiting out its own timeouts and retries.
 * Only outages count (timeouts, broken connections, 5xxx, answers that are not Kling's); Kling refusing a
 * request with a 1xxx code proves it is up.
 */
export class UpstreamBreaker {
  private readonly policy: CircuitBreakerPolicy;

  constructor(
    private readonly settings: BreakerSettings,
    log?: Logger,
  ) {
    this.policy = circuitBreaker(handleWhen(isOutage), {
      halfOpenAfter: settings.halfOpenAfterMs,
      breaker: new ConsecutiveWithinWindow(settings.failures, settings.windowMs),
    });
    this.policy.onBreak(() =>
      log?.warn(
        { failures: settings.failures, pauseMs: settings.halfOpenAfterMs },
        'Kling keeps failing: circuit open, upstream calls fail fast',
      ),
    );
    this.policy.onReset(() => log?.info('Kling answers again: circuit closed'));
  }

  /** Runs one request, or refuses at once while the circuit is open or its single trial request is under way. */
  async run<T>(request: () => Promise<T>): Promise<T> {
    if (this.policy.state === CircuitState.HalfOpen) throw this.refusal();
    let outcome: { value: T } | { error: unknown };
    try {
      // A non-outage error is carried out as a value, so the breaker counts it as the success it is (Kling answered).
      outcome = await this.policy.execute(async () => {
        try {
          return { value: await request() };
        } catch (error) {
          if (isOutage(error)) throw error;
          return { error };
        }
      });
    } catch (error) {
      if (error instanceof BrokenCircuitError) throw this.refusal();
      throw error;
    }
    if ('error' in outcome) throw outcome.error;
    return outcome.value;
  }

  private refusal(): UpstreamCircuitOpenError {
    return new UpstreamCircuitOpenError(Math.ceil(this.settings.halfOpenAfterMs / 1000));
  }
}

function isOutage(error: unknown): boolean {
  if (!(error instanceof UpstreamError) || error instanceof UpstreamCircuitOpenError) return false;
  return (
    error.code === ErrorCode.UPSTREAM_TIMEOUT || (error.code === ErrorCode.UPSTREAM_UNAVAILABLE && error.retryable)
  );
}

/** Opens after `threshold` outages in a row, the last within `windowMs` of the first; any answer starts over. */
class ConsecutiveWithinWindow implements IBreaker {
  state = { streak: 0, since: 0 };

  constructor(
    private readonly threshold: number,
    private readonly windowMs: number,
  ) {}

  success(): void {
    this.state = { streak: 0, since: 0 };
  }

  failure(): boolean {
    const now = Date.now();
    if (this.state.streak === 0 || now - this.state.since > this.windowMs) this.state = { streak: 0, since: now };
    this.state.streak += 1;
    return this.state.streak >= this.threshold;
  }
}
