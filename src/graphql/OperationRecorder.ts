import type { Logger } from 'pino';
import type { RequestContext } from '../context';
import type { Metrics } from '../metrics';
import type { OperationFacts } from '../tracing/operationSpans';

/**
 * Operation names are chosen by clients: as label values they must stay few and short, or one client could
 * grow every scrape (and the log) without bound. Past either cap a name is counted as `other`.
 */
const MAX_OPERATION_LABELS = 200;
const MAX_OPERATION_NAME_LENGTH = 64;
const OTHER = 'other';

export interface OperationOutcome {
  operationName: string | null | undefined;
  /** query, mutation or subscription, when known (names the trace span) */
  operationType?: string;
  seconds: number;
  /** contract codes of the errors answered, empty on success */
  errorCodes: string[];
  context: RequestContext | undefined;
}

/**
 * One log line and one metrics sample per operation, whichever way it was executed (Apollo's pipeline
 * or the fast lane): name, duration, outcome, error codes and upstream request ids.
 */
export class OperationRecorder {
  private readonly knownNames = new Set<string>();

  constructor(
    private readonly log: Logger,
    private readonly metrics: Metrics,
    /** names the active trace span (src/tracing/operationSpans.ts); absent when tracing is off */
    private readonly annotateSpan?: (facts: OperationFacts) => void,
  ) {}

  record({ operationName, operationType, seconds, errorCodes, context }: OperationOutcome): void {
    this.annotateSpan?.({ operationName, operationType, errorCodes });
    const operation = this.label(operationName);
    const outcome = errorCodes.length === 0 ? 'success' : 'error';
    this.metrics.operations.inc({ operation, outcome });
    this.metrics.operationDuration.observe({ operation }, seconds);
    if (!this.log.isLevelEnabled('info')) return;
    this.log.info(
      {
        operation,
        ms: Math.round(seconds * 1e4) / 10,
        outcome,
        ...(errorCodes.length ? { errorCodes } : {}),
        ...(context?.upstreamRequestIds.length ? { upstreamRequestIds: context.upstreamRequestIds } : {}),
        tenant: context?.tenant,
      },
      'graphql operation',
    );
  }

  private label(name: string | null | undefined): string {
    const operation = name || 'anonymous';
    if (this.knownNames.has(operation)) return operation;
    if (operation.length > MAX_OPERATION_NAME_LENGTH || this.knownNames.size >= MAX_OPERATION_LABELS) return OTHER;
    this.knownNames.add(operation);
    return operation;
  }
}
