import { context, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import type { StoredError, TaskIntent, TaskSnapshot } from '../domain/task';
import type { ListQuery, TaskStore } from '../store/TaskStore';

/**
 * The store with a CLIENT span around every call made inside a trace (a GraphQL operation): `TaskStore.insertIntent`
 * and so on, with the database system. Calls outside one — readiness probes, the task-count sampler, the watcher's
 * bookkeeping — make no span, or every probe would start a trace of its own.
 * Installed only when tracing is on (src/server.ts); otherwise the store is used as it is.
 */
export class TracedTaskStore implements TaskStore {
  readonly kind: TaskStore['kind'];
  readonly singleProcess: boolean;
  private readonly system: string;

  constructor(
    private readonly inner: TaskStore,
    private readonly tracer: Tracer,
  ) {
    this.kind = inner.kind;
    this.singleProcess = inner.singleProcess;
    this.system = inner.kind === 'postgres' ? 'postgresql' : 'sqlite';
  }

  migrate = () => this.inner.migrate();
  insertIntent = (intent: TaskIntent, now: number) => this.span('insertIntent', () => this.inner.insertIntent(intent, now));
  markAccepted = (id: string, snapshot: TaskSnapshot, upstreamRequestId: string | null, now: number) =>
    this.span('markAccepted', () => this.inner.markAccepted(id, snapshot, upstreamRequestId, now));
  markSubmitFailed = (id: string, error: StoredError, now: number) => this.span('markSubmitFailed', () => this.inner.markSubmitFailed(id, error, now));
  claimSubmission = (id: string, from: 'submit_failed' | 'submitting', leaseUntil: number, now: number) =>
    this.span('claimSubmission', () => this.inner.claimSubmission(id, from, leaseUntil, now));
  releaseLease = (id: string) => this.span('releaseLease', () => this.inner.releaseLease(id));
  applySnapshot = (snapshot: TaskSnapshot, upstreamRequestId: string | null, now: number) =>
    this.span('applySnapshot', () => this.inner.applySnapshot(snapshot, upstreamRequestId, now));
  getById = (id: string) => this.span('getById', () => this.inner.getById(id));
  getByUpstreamId = (upstreamId: string, tenant?: string) => this.span('getByUpstreamId', () => this.inner.getByUpstreamId(upstreamId, tenant));
  list = (query: ListQuery) => this.span('list', () => this.inner.list(query));
  listSubmitting = () => this.span('listSubmitting', () => this.inner.listSubmitting());
  listActive = () => this.span('listActive', () => this.inner.listActive());
  countByState = () => this.span('countByState', () => this.inner.countByState());
  ping = () => this.inner.ping();
  close = () => this.inner.close();

  private async span<T>(operation: string, call: () => Promise<T>): Promise<T> {
    const parent = context.active();
    if (!trace.getSpan(parent)?.isRecording()) return call();
    const span = this.tracer.startSpan(
      `TaskStore.${operation}`,
      { kind: SpanKind.CLIENT, attributes: { 'db.system.name': this.system, 'db.operation.name': operation } },
      parent,
    );
    try {
      return await context.with(trace.setSpan(parent, span), call);
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR });
      span.setAttribute('error.type', error instanceof Error ? error.name : 'Error');
      throw error;
    } finally {
      span.end();
    }
  }
}

/** The store as the server uses it: traced when tracing is on, untouched otherwise. */
export function traceStore(store: TaskStore, tracer: Tracer | undefined): TaskStore {
  return tracer ? new TracedTaskStore(store, tracer) : store;
}
