// The two ways a command fails. A UsageError is the user's command line (exit code 2), detected before
// anything is sent; a CliError is everything that goes wrong afterwards (exit code 1): the server said
// no, no bootstrap server could be reached, or an answer had an unexpected shape.

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_USAGE = 2;

export type CliErrorKind =
  /** The server answered with an error status; `status` and `errorCode` say which. */
  | 'server'
  /** No bootstrap server accepted a connection, or a connection broke mid-request. */
  | 'connection'
  /** The server took longer than the request timeout to answer. */
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
