import { context, SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import { performance } from 'node:perf_hooks';
import type { UpstreamEndpoint } from '../metrics';
import type { UpstreamAttempt, UpstreamAttemptObserver } from '../upstream/UpstreamAttemptObserver';

/** Routes as templates: a span name or attribute never carries a task id (cardinality, and ids are the caller's). */
const ROUTES: Record<UpstreamEndpoint, string> = {
  create: '/v1/videos/lip-sync',
  get: '/v1/videos/lip-sync/{task_id}',
  list: '/v1/videos/lip-sync',
  advanced_create: '/v1/videos/advanced-lip-sync',
  advanced_get: '/v1/videos/advanced-lip-sync/{task_id}',
  advanced_list: '/v1/videos/advanced-lip-sync',
  identify_face: '/v1/videos/identify-face',
};

/**
 * One CLIENT span per HTTP attempt at Kling, child of whatever span is active (the GraphQL operation, or none for
 * the watcher's background polls), built when the attempt ends with its real start and end times. Nothing is
 * propagated to Kling: trace ids are ours, not a third party's.
 */
export class UpstreamSpans implements UpstreamAttemptObserver {
  constructor(private readonly tracer: Tracer) {}

  observe(attempt: UpstreamAttempt): void {
    const route = ROUTES[attempt.endpoint];
    const startTime = performance.timeOrigin + attempt.startedAt;
    const code = Number(attempt.outcome);
    const span = this.tracer.startSpan(
      `${attempt.method} ${route}`,
      {
        kind: SpanKind.CLIENT,
        startTime,
        attributes: {
          'http.request.method': attempt.method,
          'url.template': route,
          'http.request.resend_count': attempt.attempt - 1,
          'kling.endpoint': attempt.endpoint,
          'kling.attempt': attempt.attempt,
          ...(attempt.httpStatus !== null && { 'http.response.status_code': attempt.httpStatus }),
          ...(Number.isInteger(code) ? { 'kling.code': code } : { 'error.type': attempt.outcome }),
          ...(attempt.requestId !== null && { 'kling.request_id': attempt.requestId }),
        },
      },
      context.active(),
    );
    if (code !== 0)
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: Number.isInteger(code) ? `Kling code ${code}` : attempt.outcome,
      });
    span.end(startTime + attempt.seconds * 1000);
  }
}
