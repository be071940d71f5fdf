// The launcher's readable form of the nodes' JSON log lines (pino's pretty printing), for a terminal:
// time, level, message and the other fields on one line. An error without a stack (an expected condition,
// see log-errors.ts) shrinks to `NAME: message (cause: ...)` on that line; one with a stack keeps it.
// Lines that are not pino's JSON pass unchanged.
import { prettyFactory } from 'pino-pretty';

export function prettyLogLine(color: boolean): (line: string) => string {
  const pretty = prettyFactory({
    colorize: color,
    translateTime: 'SYS:HH:MM:ss.l',
    // The launcher's [node-N] prefix already says which node.
    ignore: 'pid,hostname,node',
    singleLine: true,
    // `error` is the one-line summary below; only `err` (with its stack) gets lines of its own.
    errorLikeObjectKeys: ['err'],
  });
  return (line) => {
    if (!line.startsWith('{')) return line;
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch {
      return line;
    }
    if (entry === null || typeof entry !== 'object') return line;
    const { err, ...rest } = entry as Record<string, unknown>;
    if (!isStacklessError(err)) return pretty(entry);
    return pretty({ ...rest, error: errorSummary(err) });
  };
}

interface LoggedError {
  readonly type?: string;
  readonly message?: string;
  readonly errorName?: string;
  readonly code?: string | number;
  readonly cause?: unknown;
  readonly stack?: string;
}

function isStacklessError(value: unknown): value is LoggedError {
  return value !== null && typeof value === 'object' && 'message' in value && !hasStack(value);
}

function hasStack(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  return 'stack' in value || hasStack((value as LoggedError).cause);
}

function errorSummary(error: LoggedError): string {
  const name = error.errorName ?? (typeof error.code === 'string' ? error.code : error.type) ?? 'Error';
  const cause = isStacklessError(error.cause) ? ` (cause: ${errorSummary(error.cause)})` : '';
  return `${name}: ${error.message ?? ''}${cause}`;
}
