import { context, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import type { TaskStore } from '../store/TaskStore';

/** Housekeeping calls that never carry a request's work: no span, even inside a trace. */
const UNTRACED: ReadonlySet<PropertyKey> = new Set(['migrate', 'ping', 'close']);

/**
 * The store with a CLIENT span around every call made inside a trace (a GraphQL operation): `TaskStore.insertIntent`
 * and so on, with the database system. Calls outside one — readiness probes, the task-count sampler, the watcher's
 * bookkeeping — make no span, or every probe would start a trace of its own.
 * A proxy rather than a class that repeats every method: whatever the TaskStore interface grows is traced too.
 * Installed only when tracing is on (src/composition/buildStore.ts); otherwise the store is used as it is.
 */
function tracedTaskStore(inner: TaskStore, tracer: Tracer): TaskStore {
  const system = inner.kind === 'postgres' ? 'postgresql' : 'sqlite';
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(inner, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || UNTRACED.has(property) || typeof property !== 'string') return value;
      let traced = wrapped.get(property);
      if (!traced) {
        const method = value as (...args: unknown[]) => Promise<unknown>;
        traced = (...args: unknown[]) =>
          trace.getSpan(context.active())?.isRecording()
            ? span(tracer, system, property, () => method.apply(target, args))
            : method.apply(target, args);
        wrapped.set(property, traced);
      }
      return traced;
    },
  });
}

async function span<T>(tracer: Tracer, system: string, operation: string, call: () => Promise<T>): Promise<T> {
  const parent = context.active();
  const span = tracer.startSpan(
    `TaskStore.${operation}`,
    { kind: SpanKind.CLIENT, attributes: { 'db.system.name': system, 'db.operation.name': operation } },
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

/** The store as the server uses it: traced when tracing is on, untouched otherwise. */
export function traceStore(store: TaskStore, tracer: Tracer | undefined): TaskStore {
  return tracer ? tracedTaskStore(store, tracer) : store;
}
