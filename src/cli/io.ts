// What the tools share: the output sinks, Kafka-style argument parsing on top of node:util parseArgs,
// the option table of `--help`, and Kafka's table printer.

import { parseArgs } from 'node:util';
import { UsageError } from './errors.ts';

/** Where a tool writes. Each call is one line, without its newline. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
}

/** An Io that keeps the lines (tests, and callers that post-process output). */
export interface BufferedIo extends Io {
  readonly stdout: string[];
  readonly stderr: string[];
}

export function bufferedIo(): BufferedIo {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (line) => stdout.push(line), err: (line) => stderr.push(line) };
}

export interface OptionSpec {
  readonly name: string;
  readonly type: 'string' | 'boolean';
  /** A string option given several times keeps every value (e.g. --config). */
  readonly multiple?: boolean;
  /** Shown in the option table, e.g. "host:port". */
  readonly argName?: string;
  readonly description: string;
}

/** Kafka options these tools recognise but do not support, with what to do instead. */
export type UnsupportedOptions = ReadonlyMap<string, string>;

export interface ParsedArgs {
  readonly positionals: readonly string[];
  has(name: string): boolean;
  flag(name: string): boolean;
  string(name: string): string | undefined;
  strings(name: string): string[];
  /** Option names as typed, for "can't be used with" checks. */
  readonly present: ReadonlySet<string>;
}

function optionName(message: string): string | null {
  const match = /'(--?[^'\s]+)/.exec(message);
  return match === null ? null : match[1]!.replace(/^-+/, '');
}

/**
 * Parses `argv` against `specs`. Errors are UsageErrors worded like Kafka's option parser (joptsimple):
 * "foo is not a recognized option", "Option topic requires an argument".
 */
export function parseOptions(
  argv: readonly string[],
  specs: readonly OptionSpec[],
  options: { allowPositionals?: boolean; unsupported?: UnsupportedOptions } = {},
): ParsedArgs {
  const config: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {};
  for (const spec of specs) config[spec.name] = { type: spec.type, multiple: spec.multiple ?? false };
  // joptsimple takes `--option -1` as the option's value; node's parseArgs would see an option there.
  const stringOptions = new Set(
    specs.filter((spec) => spec.type === 'string').map((spec) => `--${spec.name}`),
  );
  const args: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    const next = argv[index + 1];
    if (stringOptions.has(arg) && next !== undefined && /^-\d+$/.test(next)) {
      args.push(`${arg}=${next}`);
      index += 1;
    } else {
      args.push(arg);
    }
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args,
      options: config,
      strict: true,
      allowPositionals: options.allowPositionals ?? false,
    });
  } catch (error) {
    throw translateParseError(error, options.unsupported ?? new Map());
  }
  const values = parsed.values as Record<string, string | boolean | (string | boolean)[] | undefined>;
  const present = new Set(Object.keys(values).filter((key) => values[key] !== undefined));
  return {
    positionals: parsed.positionals,
    present,
    has: (name) => present.has(name),
    flag: (name) => values[name] === true,
    string: (name) => {
      const value = values[name];
      if (Array.isArray(value)) {
        const last = value.at(-1);
        return typeof last === 'string' ? last : undefined;
      }
      return typeof value === 'string' ? value : undefined;
    },
    strings: (name) => {
      const value = values[name];
      if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
      return typeof value === 'string' ? [value] : [];
    },
  };
}

function translateParseError(error: unknown, unsupported: UnsupportedOptions): unknown {
  const code = error instanceof Error ? (error as Error & { code?: unknown }).code : undefined;
  if (!(error instanceof Error) || typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS'))
    return error;
  const name = optionName(error.message);
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const bare = name?.split('=')[0] ?? '';
      const advice = unsupported.get(bare);
      if (advice !== undefined) return new UsageError(`--${bare} is not supported: ${advice}`);
      return new UsageError(`${bare} is not a recognized option`, { showUsage: true });
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (/does not take an argument/.test(error.message)) {
        return new UsageError(`Option ${name} takes no argument`, { showUsage: true });
      }
      return new UsageError(`Option ${name} requires an argument`, { showUsage: true });
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL': {
      const match = /Unexpected argument '([^']*)'/.exec(error.message);
      return new UsageError(`Found non-option argument '${match?.[1] ?? ''}'`, { showUsage: true });
    }
    default:
      return new UsageError(error.message, { showUsage: true });
  }
}

const INT32_MAX = 2 ** 31 - 1;

/** An integer option value, refused with joptsimple's message when it is not one. */
export function parseIntegerOption(value: string, name: string): number {
  const trimmed = value.trim();
  if (!/^[+-]?\d+$/.test(trimmed)) throw new UsageError(`Cannot parse argument '${value}' of option ${name}`);
  const parsed = Number(trimmed);
  if (parsed > INT32_MAX || parsed < -INT32_MAX - 1) {
    throw new UsageError(`Cannot parse argument '${value}' of option ${name}`);
  }
  return parsed;
}

/** The option table of `--help`, laid out as Kafka's tools print it. */
export function formatOptionTable(specs: readonly OptionSpec[]): string[] {
  const rows = specs.map((spec) => [
    `--${spec.name}${spec.argName === undefined ? '' : ` <${spec.argName}>`}`,
    spec.description,
  ]);
  const width = Math.max(41, ...rows.map(([left]) => left!.length + 2));
  const lines = [`${'Option'.padEnd(width)}Description`, `${'------'.padEnd(width)}-----------`];
  for (const [left, right] of rows) lines.push(`${left!.padEnd(width)}${right}`);
  return lines;
}

/**
 * Kafka's ToolsUtils.prettyPrintTable: every cell padded to its column's width and followed by a tab
 * (so each line ends with a tab).
 */
export function prettyPrintTable(headers: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    headers.map((_, column) => `${(cells[column] ?? '').padEnd(widths[column]!)}\t`).join('');
  return [line(headers), ...rows.map(line)];
}

export { mapConcurrent } from '../common/map-concurrent.ts';

/**
 * Kafka's CommandLineUtils.parseKeyValueArgs for `--property key=value` (repeatable): split at the
 * first '='; a missing value is the empty string; a later value of the same key wins.
 */
export function parseProperties(values: readonly string[]): Map<string, string> {
  const properties = new Map<string, string>();
  for (const value of values) {
    const at = value.indexOf('=');
    if (at < 0) properties.set(value, '');
    else properties.set(value.slice(0, at), value.slice(at + 1));
  }
  return properties;
}

/** Kafka's reading of a boolean property: true when it is "true" in any case, blanks ignored. */
export function booleanProperty(
  properties: ReadonlyMap<string, string>,
  name: string,
  fallback: boolean,
): boolean {
  const value = properties.get(name);
  return value === undefined ? fallback : value.trim().toLowerCase() === 'true';
}

/**
 * A signal aborted by the first SIGINT (Ctrl-C) or SIGTERM, for the tools that run until stopped: they
 * finish cleanly (flush, print their summary). The handlers go away on the first signal, so a second
 * Ctrl-C kills the process as usual.
 */
export function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  const onSignal = (): void => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return controller.signal;
}
