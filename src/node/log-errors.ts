// How the node's logs show an error (pino's `err` serializer). A stack trace helps only with a bug: an
// expected condition (a Kafka error such as NOT_CONTROLLER while an election runs, a peer that refused a
// connection because it is restarting, a request given up on) is logged with its type, code and message,
// and no stack, so that a restart or a shutdown does not fill the terminal with traces.
import { stdSerializers } from 'pino';
import { KafkaError } from '../common/kafka-errors.ts';

/** Node's and undici's codes of network conditions a peer's restart or a timeout cause. */
const EXPECTED_CODE =
  /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ECONNABORTED|ERR_HTTP2_|UND_ERR_)/;

export function isExpectedError(error: unknown): boolean {
  if (error instanceof KafkaError) return true;
  if (!(error instanceof Error)) return false;
  if (error.name === 'AbortError' || error.name === 'TimeoutError') return true;
  const code = (error as NodeJS.ErrnoException).code;
  return typeof code === 'string' && EXPECTED_CODE.test(code);
}

type Serialized = Record<string, unknown>;

/** pino's errWithCause, without the stacks of expected errors (each cause judged on its own). */
export function serializeError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  return withoutExpectedStacks(stdSerializers.errWithCause(error) as Serialized, error);
}

function withoutExpectedStacks(serialized: Serialized, error: Error): Serialized {
  const { stack, cause, ...rest } = serialized;
  const kept: Serialized = isExpectedError(error) ? rest : { ...rest, stack };
  if (cause === undefined) return kept;
  const causeIsError = error.cause instanceof Error && cause !== null && typeof cause === 'object';
  return {
    ...kept,
    cause: causeIsError ? withoutExpectedStacks(cause as Serialized, error.cause as Error) : cause,
  };
}
