import { context, SpanKind, trace, type Tracer } from '@opentelemetry/api';
import { execute, getOperationAST, subscribe, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { ErrorCode } from '../errors';
import { annotateOperation } from './operationSpans';

type Execute = (args: ExecutionArgs) => ReturnType<typeof execute> | ReturnType<typeof subscribe>;

/**
 * graphql-ws's execute and subscribe, each in a SERVER span of its own (active while it runs, so store and
 * upstream spans are its children). A subscription's span covers its start, not its events, as in the
 * operation log. A WebSocket operation starts a trace: browsers cannot send traceparent on the upgrade.
 */
export function tracedExecution(tracer: Tracer): { execute: Execute; subscribe: Execute } {
  const traced =
    (run: Execute): Execute =>
    async (args) => {
      const operation = getOperationAST(args.document, args.operationName);
      const span = tracer.startSpan('GraphQL operation', {
        kind: SpanKind.SERVER,
        attributes: { 'network.protocol.name': 'websocket' },
      });
      try {
        const result = await context.with(trace.setSpan(context.active(), span), () => run(args));
        const errors = isExecutionResult(result) ? (result.errors ?? []) : [];
        annotateOperation(span, {
          operationName: operation?.name?.value,
          operationType: operation?.operation,
          errorCodes: errors.map((e) => String(e.extensions?.code ?? ErrorCode.INTERNAL_SERVER_ERROR)),
        });
        return result;
      } finally {
        span.end();
      }
    };
  return { execute: traced(execute), subscribe: traced(subscribe) };
}

function isExecutionResult(result: unknown): result is ExecutionResult {
  return typeof result === 'object' && result !== null && !(Symbol.asyncIterator in result);
}
