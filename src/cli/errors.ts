// The two ways a command fails. A UsageError is the user's command line (exit code 2), detected before
// anything is sent; a CliError is everything that goes wrong afterwards (exit code 1): the server said
// no, no bootstrap server could be reached, or an answer had an unexpected shape.

import { KafkaError } from '../common/kafka-errors.ts';
import { RestError } from '../client/rest-errors.ts';

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_USAGE = 2;

export type CliErrorKind =
  /** The server answered with an error status; `status` and `errorCode` say which. */
  | 'server'
  /** No node could be reached (the SDK's REQUEST_TIMED_OUT of a call that found none). */
  | 'connection'
  /** The call did not succeed within default.api.timeout.ms, retries and failover included. */
  | 'timeout'
  /** The server answered 2xx with a body this client does not understand. */
  | 'response'
  /** The command's own check failed (e.g. the topic does not exist as expected). */
  | 'command';

export class CliError extends Error {
  readonly kind: CliErrorKind;
  /** HTTP status of a 'server' error, else null. */
  readonly status: number | null;
  /** The REST proxy `error_code` of a 'server' error (e.g. 40401), else null. */
  readonly errorCode: number | null;
  constructor(
    kind: CliErrorKind,
    message: string,
    details: { status?: number; errorCode?: number | null; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'CliError';
    this.kind = kind;
    this.status = details.status ?? null;
    this.errorCode = details.errorCode ?? null;
  }
}

export class UsageError extends Error {
  /** Print the tool's option table after the message (Kafka's printUsageAndExit). */
  readonly showUsage: boolean;
  constructor(message: string, options: { showUsage?: boolean } = {}) {
    super(message);
    this.name = 'UsageError';
    this.showUsage = options.showUsage ?? false;
  }
}

/** `--help`: print the usage on stdout and exit 0. */
export class HelpRequested extends Error {
  constructor() {
    super('help requested');
    this.name = 'HelpRequested';
  }
}

// REST proxy error codes (design §6) the tools react to.
export const ERROR_CODE_TOPIC_NOT_FOUND = 40401;
const ERROR_CODE_KAFKA_BAD_REQUEST = 40002;

export function isTopicNotFound(error: unknown): boolean {
  return (
    error instanceof CliError && error.kind === 'server' && error.errorCode === ERROR_CODE_TOPIC_NOT_FOUND
  );
}

/**
 * "Topic 'x' already exists." Confluent's REST proxy (and this project's server) answers it with
 * 400 / 40002, the code of every bad-request Kafka error (invalid config, invalid partitions, ...), so
 * only the message tells it apart; a 409 conflict is accepted too.
 */
export function isTopicAlreadyExists(error: unknown): boolean {
  if (!(error instanceof CliError) || error.kind !== 'server') return false;
  const conflictOrBadRequest = error.errorCode === ERROR_CODE_KAFKA_BAD_REQUEST || error.status === 409;
  return conflictOrBadRequest && /already exists/i.test(error.message);
}

/** The REST answer behind an SDK error: the RestError itself, or the one a KafkaError was made of. */
function restAnswerOf(error: unknown): RestError | null {
  if (error instanceof RestError) return error;
  return error instanceof KafkaError && error.cause instanceof RestError ? error.cause : null;
}

/** Under TLS a listener closes a plain-text request unanswered: say what is likely wrong. */
function tlsHint(error: KafkaError): string {
  for (let cause: unknown = error.cause, depth = 0; cause instanceof Error && depth < 6; depth++) {
    if ((cause as Error & { code?: unknown }).code === 'UND_ERR_SOCKET' && !/https:\/\//.test(error.message))
      return ' (if the listener is TLS, give --command-config with security.protocol=SSL or SASL_SSL)';
    cause = cause.cause;
  }
  return '';
}

/**
 * What a failure of the SDK's Admin is to a tool: a server's answer keeps its message, HTTP status and
 * REST error_code (the tools branch on them, as they print the message); a call that ran out of time
 * (retrying a retriable error, or finding no node) is a timeout or a connection failure; anything else
 * is an answer the tool did not understand.
 */
export function cliErrorOf(error: unknown): Error {
  if (error instanceof CliError || error instanceof UsageError) return error;
  const answer = restAnswerOf(error);
  if (answer !== null) {
    const message = error instanceof KafkaError ? error.message : answer.serverMessage;
    return new CliError('server', message !== '' ? message : answer.message, {
      status: answer.status,
      errorCode: answer.errorCode === answer.status ? null : answer.errorCode,
      cause: error,
    });
  }
  if (error instanceof KafkaError && error.errorName === 'REQUEST_TIMED_OUT') {
    const kind = /no broker could be reached/.test(error.message) ? 'connection' : 'timeout';
    return new CliError(kind, `${error.message}${tlsHint(error)}`, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new CliError('response', `Unexpected response from the server: ${message}`, { cause: error });
}

/** Awaits an SDK call; its failure becomes what cliErrorOf makes of it. */
export async function adminCall<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    throw cliErrorOf(error);
  }
}
