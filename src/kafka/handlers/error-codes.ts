// A handler's failure as the error code (and message) Kafka's response fields carry. A KafkaError is an
// operating error with Kafka's own code; anything else is a bug or an I/O failure, logged here and
// answered UNKNOWN_SERVER_ERROR (-1), as Kafka's broker answers an unexpected exception.
import type { Logger } from 'pino';
import { KafkaError, KafkaErrors } from '../../common/kafka-errors.ts';

export const NONE = 0;
export const UNKNOWN_SERVER_ERROR = KafkaErrors.UNKNOWN_SERVER_ERROR.code;
export const UNSUPPORTED_VERSION = 35;

export interface ErrorAnswer {
  readonly code: number;
  readonly message: string;
}

export function errorAnswer(error: unknown, logger: Logger, what: string): ErrorAnswer {
  if (error instanceof KafkaError) {
    logger.debug({ error: error.errorName, message: error.message }, what);
    return { code: error.code, message: error.message };
  }
  logger.error({ err: error }, what);
  return { code: UNKNOWN_SERVER_ERROR, message: error instanceof Error ? error.message : String(error) };
}
