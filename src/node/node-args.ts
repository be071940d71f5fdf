// The node's command line: `npm run node -- [--config FILE] [--node-id N] [--<key> VALUE] [--override k=v]`,
// and loading the checked NodeConfig from it (the --config file is the only I/O).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  buildNodeConfig,
  ConfigError,
  commandLineError,
  type LocalClusterInfo,
  localClusterProperties,
  type NodeConfig,
  parseInteger,
} from './config.ts';
import { LOCAL_CLUSTER, NODE_CONFIG_KEYS } from './config-defaults.ts';
import { PropertiesSyntaxError, parseProperties } from './properties.ts';
import { type BootstrapScramSpec, parseScramSpec } from './bootstrap-credentials.ts';

export interface NodeArgs {
  readonly help: boolean;
  readonly configFile: string | null;
  /** Settings from flags, in argv order (later ones win). */
  readonly settings: readonly (readonly [string, string])[];
  /** Local profile only: where the node directories and cluster.id live. */
  readonly dataRoot: string | null;
  readonly localNodes: number | null;
  /** `--add-scram` values, in order (bootstrap credentials of a new cluster). */
  readonly addScram: readonly BootstrapScramSpec[];
}

/** `--node-id` for `node.id`: every known key has a flag. */
export const flagForKey = (key: string): string => key.replaceAll('.', '-');

const KEY_FOR_FLAG: ReadonlyMap<string, string> = new Map(
  [...NODE_CONFIG_KEYS.keys()].map((key) => [flagForKey(key), key]),
);

export const NODE_USAGE = `Usage: npm run node -- [--config FILE] [--node-id N] [--<config-key> VALUE]... [--override key=value]...

Without --config, starts node N (1..3) of the local cluster that \`npm run cluster\` runs:
client API on 127.0.0.1:808N, internal traffic on 127.0.0.1:909N, data in ./data/node-N.

  --config FILE           a Kafka-style .properties file (node.id, process.roles, listeners, ...)
  --override key=value    set any config (repeatable); same as --<key-with-dashes> value
  --node-id N, --listeners L, --advertised-listeners L, --controller-quorum-voters V,
  --process-roles R, --log-dirs D, --cluster-id ID, --broker-rack R, --log-level L, ...
                          every config key has a flag: dots become dashes
  --data-root DIR         local cluster only: where node-N/ and cluster.id live (default ./data)
  --local-nodes N         local cluster only: its size (default 3)
  --add-scram 'SCRAM-SHA-256=[name=admin,password=admin-secret]'
                          a SCRAM credential the first controller of a new metadata log writes, as
                          Kafka's kafka-storage format --add-scram (repeatable; iterations=N optional)
  --help                  this text
`;

function parseNumberFlag(flag: string, raw: string): number {
  if (!/^[0-9]+$/.test(raw.trim())) throw new ConfigError(flag, raw, 'expected a positive integer');
  return Number(raw.trim());
}

/** Parses argv (without the node binary and script); pure. */
export function parseNodeArgs(argv: readonly string[]): NodeArgs {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {
    config: { type: 'string' },
    override: { type: 'string', multiple: true },
    help: { type: 'boolean', short: 'h' },
    'data-root': { type: 'string' },
    'local-nodes': { type: 'string' },
    'add-scram': { type: 'string', multiple: true },
  };
  for (const flag of KEY_FOR_FLAG.keys()) options[flag] = { type: 'string', multiple: true };
  let tokens: ReturnType<typeof parseArgs>['tokens'];
  try {
    tokens = parseArgs({
      args: [...argv],
      options,
      strict: true,
      allowPositionals: false,
      tokens: true,
    }).tokens;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw commandLineError(argv, `${message}\n\n${NODE_USAGE}`);
  }
  let configFile: string | null = null;
  let dataRoot: string | null = null;
  let localNodes: number | null = null;
  let help = false;
  const addScram: BootstrapScramSpec[] = [];
  const settings: (readonly [string, string])[] = [];
  for (const token of tokens ?? []) {
    if (token.kind !== 'option') continue;
    const value = token.value ?? '';
    if (token.name === 'help') help = true;
    else if (token.name === 'config') {
      if (configFile !== null) throw new ConfigError('--config', value, 'give one config file');
      configFile = value;
    } else if (token.name === 'data-root') dataRoot = value;
    else if (token.name === 'local-nodes') localNodes = parseNumberFlag('--local-nodes', value);
    else if (token.name === 'add-scram') addScram.push(parseScramSpec(value));
    else if (token.name === 'override') {
      const separator = value.indexOf('=');
      if (separator <= 0) throw new ConfigError('--override', value, 'expected key=value');
      settings.push([value.slice(0, separator).trim(), value.slice(separator + 1)]);
    } else {
      const key = KEY_FOR_FLAG.get(token.name);
      if (key !== undefined) settings.push([key, value]);
    }
  }
  return { help, configFile, settings, dataRoot, localNodes, addScram };
}

export interface LoadedConfig {
  readonly config: NodeConfig;
  /** Unknown keys and doubtful settings: log them; they do not stop the node (as in Kafka). */
  readonly warnings: readonly string[];
  /** The --config file read, or null for the local-cluster profile. */
  readonly configFile: string | null;
  /** Set for the local-cluster profile: the node then shares <dataRoot>/cluster.id with the others. */
  readonly localCluster: LocalClusterInfo | null;
  /** `--add-scram`: credentials for the first controller of a new metadata log to write. */
  readonly bootstrapScram: readonly BootstrapScramSpec[];
}

export type LoadResult =
  | { readonly kind: 'help'; readonly usage: string }
  | ({ readonly kind: 'config' } & LoadedConfig);

export interface LoadOptions {
  /** Reads the --config file (tests replace it). */
  readonly readFile?: (path: string) => string;
}

function readConfigFile(path: string, readFile: (path: string) => string): Map<string, string> {
  let text: string;
  try {
    text = readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ConfigError('--config', path, `cannot read the file (${code})`);
  }
  try {
    return parseProperties(text);
  } catch (error) {
    if (error instanceof PropertiesSyntaxError) throw new ConfigError('--config', path, error.message);
    throw error;
  }
}

/** argv -> checked NodeConfig. Throws ConfigError (its message is meant for the user). */
export function loadNodeConfig(argv: readonly string[], options: LoadOptions = {}): LoadResult {
  const args = parseNodeArgs(argv);
  if (args.help) return { kind: 'help', usage: NODE_USAGE };
  const flags = new Map(args.settings);
  let base: Map<string, string>;
  let localCluster: LocalClusterInfo | null = null;
  if (args.configFile !== null) {
    if (args.dataRoot !== null)
      throw new ConfigError(
        '--data-root',
        args.dataRoot,
        'applies to the local cluster only (without --config)',
      );
    if (args.localNodes !== null)
      throw new ConfigError(
        '--local-nodes',
        String(args.localNodes),
        'applies to the local cluster only (without --config)',
      );
    base = readConfigFile(args.configFile, options.readFile ?? ((path) => readFileSync(path, 'utf8')));
  } else {
    const raw = flags.get('node.id') ?? flags.get('broker.id');
    if (raw === undefined)
      throw new ConfigError(
        'node.id',
        null,
        `give --node-id 1..3 for a node of the local cluster, or --config FILE\n\n${NODE_USAGE}`,
      );
    const nodes = args.localNodes ?? LOCAL_CLUSTER.nodes;
    localCluster = { dataRoot: args.dataRoot ?? LOCAL_CLUSTER.dataRoot, nodes };
    const id = parseInteger(NODE_CONFIG_KEYS.get('node.id')!, raw);
    base = localClusterProperties(id, localCluster.dataRoot, nodes);
  }
  for (const [key, value] of flags) base.set(key, value);
  const { config, warnings } = buildNodeConfig(base);
  return {
    kind: 'config',
    config,
    warnings,
    configFile: args.configFile,
    localCluster,
    bootstrapScram: args.addScram,
  };
}
