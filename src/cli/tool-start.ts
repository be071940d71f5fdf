// How every admin tool starts: parse its command line and open its client, the SDK's Admin (src/client),
// which inherits what a Kafka client does: a request that finds no node, or a retriable error answer
// (no controller for a moment, a coordinator moving), is sent again to the next node it knows (the
// --bootstrap-server list and the brokers learned from it) after retry.backoff.ms, until
// default.api.timeout.ms (60000, Kafka's AdminClient default) has passed. `--help` and usage errors are
// answered here, the way Kafka's tools answer them (usage on stdout for --help; the message, then the
// usage when it helps, on stderr for a usage error).
import { Admin } from '../client/admin.ts';
import { parseBootstrapServers, readClientConfig } from './client-config.ts';
import { EXIT_OK, EXIT_USAGE, HelpRequested, UsageError } from './errors.ts';
import type { Io } from './io.ts';

/** Kafka's AdminClient default.api.timeout.ms. */
export const DEFAULT_API_TIMEOUT_MS = 60_000;
/** Kafka's AdminClient retry.backoff.ms. */
export const DEFAULT_RETRY_BACKOFF_MS = 100;

export function reportUsageError(error: UsageError, io: Io, usage: () => string[]): number {
  io.err(error.message);
  if (error.showUsage) for (const line of usage()) io.err(line);
  return EXIT_USAGE;
}

/** The admin client of a tool's command: its --bootstrap-server, secured as its --command-config says. */
export function adminFor(command: {
  readonly bootstrapServer: string;
  readonly commandConfig?: string | null;
}): Admin {
  const config = readClientConfig(command.commandConfig ?? null);
  return new Admin({
    bootstrap: parseBootstrapServers(command.bootstrapServer, config.scheme),
    security: config.security,
    requestTimeoutMs: config.apiTimeoutMs ?? DEFAULT_API_TIMEOUT_MS,
    retryBackoffMs: config.retryBackoffMs ?? DEFAULT_RETRY_BACKOFF_MS,
  });
}

/** The parsed command and its client, or the exit code when the tool has already answered. */
export function startTool<
  C extends { readonly bootstrapServer: string; readonly commandConfig?: string | null },
>(
  argv: readonly string[],
  io: Io,
  parse: (argv: readonly string[]) => C,
  usage: () => string[],
): { readonly command: C; readonly admin: Admin } | { readonly exitCode: number } {
  try {
    const command = parse(argv);
    return { command, admin: adminFor(command) };
  } catch (error) {
    if (error instanceof HelpRequested) {
      for (const line of usage()) io.out(line);
      return { exitCode: EXIT_OK };
    }
    if (error instanceof UsageError) return { exitCode: reportUsageError(error, io, usage) };
    throw error;
  }
}
