// How every REST-backed tool starts: parse its command line and open its client. `--help` and usage
// errors are answered here, the way Kafka's tools answer them (usage on stdout for --help; the message,
// then the usage when it helps, on stderr for a usage error).
import { EXIT_OK, EXIT_USAGE, HelpRequested, UsageError } from './errors.ts';
import { readClientConfig } from './client-config.ts';
import { RestClient } from './http-client.ts';
import type { Io } from './io.ts';

export function reportUsageError(error: UsageError, io: Io, usage: () => string[]): number {
  io.err(error.message);
  if (error.showUsage) for (const line of usage()) io.err(line);
  return EXIT_USAGE;
}

/** The parsed command and its client, or the exit code when the tool has already answered. */
/** The REST client of a tool's command: its --bootstrap-server, secured as its --command-config says. */
export function restClientFor(command: {
  readonly bootstrapServer: string;
  readonly commandConfig?: string | null;
}): RestClient {
  const config = readClientConfig(command.commandConfig ?? null);
  return new RestClient({
    bootstrapServers: command.bootstrapServer,
    defaultScheme: config.scheme,
    security: config.security,
  });
}

export function startTool<
  C extends { readonly bootstrapServer: string; readonly commandConfig?: string | null },
>(
  argv: readonly string[],
  io: Io,
  parse: (argv: readonly string[]) => C,
  usage: () => string[],
): { readonly command: C; readonly client: RestClient } | { readonly exitCode: number } {
  try {
    const command = parse(argv);
    return { command, client: restClientFor(command) };
  } catch (error) {
    if (error instanceof HelpRequested) {
      for (const line of usage()) io.out(line);
      return { exitCode: EXIT_OK };
    }
    if (error instanceof UsageError) return { exitCode: reportUsageError(error, io, usage) };
    throw error;
  }
}
