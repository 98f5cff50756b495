import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestContext } from '../context';
import type { OperationRecorder } from './OperationRecorder';

/** Apollo's side of the per-operation record, plus the caller-facing `extensions.warnings`. */
export function observabilityPlugin(recorder: OperationRecorder): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      const started = process.hrtime.bigint();
      return {
        async willSendResponse({ response, contextValue, operationName, operation, errors }) {
          const warnings = contextValue?.warnings;
          if (warnings?.length && response.body.kind === 'single') {
            response.body.singleResult.extensions = { ...response.body.singleResult.extensions, warnings };
          }
          recorder.record({
            operationName,
            operationType: operation?.operation,
            seconds: Number(process.hrtime.bigint() - started) / 1e9,
            errorCodes: (errors ?? []).map((e) => String(e.extensions?.code ?? 'INTERNAL_SERVER_ERROR')),
            context: contextValue,
          });
        },
      };
    },
  };
}
