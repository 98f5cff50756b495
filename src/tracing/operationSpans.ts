import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** What names a GraphQL operation span, whichever transport carried it. */
export interface OperationFacts {
  operationName: string | null | undefined;
  /** query, mutation or subscription; undefined when the document never got that far */
  operationType: string | undefined;
  /** contract codes of the errors answered, empty on success */
  errorCodes: readonly string[];
}

/**
 * One SERVER span per GraphQL request over HTTP, continuing the caller's W3C traceparent/tracestate (and baggage),
 * active while the request is handled, so store and upstream spans become its children. It is named and
 * annotated when the operation is known (annotateActiveOperation, from src/graphql/OperationRecorder.ts) and
 * ends when the answer is sent or the connection drops.
 */
export function traceGraphQLHttp(
  tracer: Tracer,
  route: string,
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return (req, res) => {
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const method = req.method ?? 'GET';
    const span = tracer.startSpan(
      `${method} ${route}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': method, 'http.route': route, 'url.path': route } },
      parent,
    );
    res.once('close', () => {
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500 || !res.writableFinished) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    return context.with(trace.setSpan(parent, span), () => handler(req, res));
  };
}

/** Names the active operation span (see traceGraphQLHttp); does nothing outside one. */
export function annotateActiveOperation(facts: OperationFacts): void {
  const span = trace.getActiveSpan();
  if (span) annotateOperation(span, facts);
}

/** The GraphQL semantic conventions' name (`mutation Create`) and attributes, plus our error codes. */
export function annotateOperation(span: Span, { operationName, operationType, errorCodes }: OperationFacts): void {
  if (operationType) span.updateName(operationName ? `${operationType} ${operationName}` : operationType);
  if (operationName) span.setAttribute('graphql.operation.name', operationName);
  if (operationType) span.setAttribute('graphql.operation.type', operationType);
  if (errorCodes.length > 0) {
    span.setAttribute('graphql.error.codes', [...new Set(errorCodes)]);
    span.setStatus({ code: SpanStatusCode.ERROR, message: errorCodes[0] });
  }
}
