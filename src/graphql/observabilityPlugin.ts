import type { ApolloServerPlugin } from '@apollo/server';
import type { Logger } from 'pino';
import type { RequestContext } from '../context';
import type { Metrics } from '../metrics';

/** Distinct operation names kept as metric labels; the rest share one label so a client cannot blow up the series. */
const MAX_OPERATION_LABELS = 200;

/**
 * One log line and one metrics sample per operation (name, duration, outcome, upstream request ids),
 * plus the caller-facing `extensions.warnings`.
 */
export function observabilityPlugin(log: Logger, metrics: Metrics): ApolloServerPlugin<RequestContext> {
  const knownNames = new Set<string>();
  const label = (name: string | null | undefined): string => {
    const operation = name || 'anonymous';
    if (knownNames.has(operation)) return operation;
    if (knownNames.size >= MAX_OPERATION_LABELS) return 'other';
    knownNames.add(operation);
    return operation;
  };
  return {
    async requestDidStart() {
      const started = process.hrtime.bigint();
      return {
        async willSendResponse({ response, contextValue, operationName, errors }) {
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          const operation = label(operationName);
          const errorCodes = (errors ?? []).map((e) => String(e.extensions?.code ?? 'INTERNAL_SERVER_ERROR'));
          const outcome = errorCodes.length === 0 ? 'success' : 'error';
          metrics.operations.inc({ operation, outcome });
          metrics.operationDuration.observe({ operation }, seconds);
          const warnings = contextValue?.warnings;
          if (warnings?.length && response.body.kind === 'single') {
            response.body.singleResult.extensions = { ...response.body.singleResult.extensions, warnings };
          }
          log.info(
            {
              operation,
              ms: Math.round(seconds * 1e4) / 10,
              outcome,
              ...(errorCodes.length ? { errorCodes } : {}),
              ...(contextValue?.upstreamRequestIds?.length ? { upstreamRequestIds: contextValue.upstreamRequestIds } : {}),
              tenant: contextValue?.tenant,
            },
            'graphql operation',
          );
        },
      };
    },
  };
}
