// A native API call's failure as the answer carries it: Kafka's error code and message.
import type { FastifyBaseLogger } from 'fastify';
import { isKafkaError, KafkaErrors } from '../../common/kafka-errors.ts';

/** Kafka's error code of a partition's failure, and its message (an unexpected one is logged). */
export function failure(error: unknown, log: FastifyBaseLogger): { errorCode: number; errorMessage: string } {
  if (isKafkaError(error))
    return { errorCode: KafkaErrors[error.errorName].code, errorMessage: error.message };
  log.error({ err: error }, 'a native API partition request failed unexpectedly');
  return {
    errorCode: KafkaErrors.UNKNOWN_SERVER_ERROR.code,
    errorMessage: 'The server failed unexpectedly.',
  };
}
