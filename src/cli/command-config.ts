// Kafka's `--command-config client.properties`: the client's security settings, read as Kafka's
// clients read them — security.protocol, sasl.mechanism and sasl.jaas.config
// (`org.apache.kafka.common.security.scram.ScramLoginModule required username="alice" password="...";`,
// or PlainLoginModule). The user and password go to the cluster as HTTP Basic (src/client/credentials.ts),
// which its SASL_* client listener checks as SASL checks them. Other keys are not the tools' concern.
import { readFileSync } from 'node:fs';
import type { SaslCredentials, SaslMechanismName } from '../client/credentials.ts';
import { UsageError } from './errors.ts';
import type { OptionSpec } from './io.ts';

export const COMMAND_CONFIG_OPTION: OptionSpec = {
  name: 'command-config',
  type: 'string',
  argName: 'command config property file',
  description:
    'Property file with the client security configs: security.protocol, sasl.mechanism, sasl.jaas.config ' +
    '(ScramLoginModule or PlainLoginModule with username and password).',
};

const SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const;
const MECHANISMS: readonly SaslMechanismName[] = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'];
const LOGIN_MODULES: ReadonlySet<string> = new Set([
  'org.apache.kafka.common.security.scram.ScramLoginModule',
  'org.apache.kafka.common.security.plain.PlainLoginModule',
]);

/** A .properties text (key=value or key:value, # and ! comments, \ continuations) as a map. */
export function parsePropertiesText(text: string): Map<string, string> {
  const result = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.trimStart();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    while (/(?<!\\)(\\\\)*\\$/.test(line) && i + 1 < lines.length)
      line = line.slice(0, -1) + lines[++i]!.trimStart();
    const separator = line.search(/[=:]/);
    const key = (separator < 0 ? line : line.slice(0, separator)).trim();
    const value = separator < 0 ? '' : line.slice(separator + 1).trim();
    result.set(key, value);
  }
  return result;
}

/** `Module required key="value" ...;` → the module and its options; a UsageError when it does not parse. */
export function parseJaasConfig(text: string): { module: string; options: Map<string, string> } {
  const head = /^\s*([\w.$]+)\s+(required|requisite|sufficient|optional)\b/.exec(text);
  if (head === null)
    throw new UsageError(`sasl.jaas.config is not '<LoginModule> required username="..." password="...";'`);
  const options = new Map<string, string>();
  const option = /\s*([\w.-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s";]+))|\s*(;)\s*$/y;
  option.lastIndex = head[0].length;
  let ended = false;
  while (option.lastIndex < text.length && !ended) {
    const match = option.exec(text);
    if (match === null)
      throw new UsageError(`sasl.jaas.config does not parse after '${text.slice(0, option.lastIndex)}'`);
    if (match[4] === ';') ended = true;
    else options.set(match[1]!, match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : match[3]!);
  }
  if (!ended) throw new UsageError('sasl.jaas.config must end with ";"');
  return { module: head[1]!, options };
}

/** The SASL credentials the properties give; undefined for PLAINTEXT / SSL (no SASL). */
export function credentialsOf(properties: ReadonlyMap<string, string>): SaslCredentials | undefined {
  const protocolText = (properties.get('security.protocol') ?? 'PLAINTEXT').toUpperCase();
  const protocol = SECURITY_PROTOCOLS.find((candidate) => candidate === protocolText);
  if (protocol === undefined)
    throw new UsageError(`security.protocol ${protocolText} is not one of ${SECURITY_PROTOCOLS.join(', ')}`);
  if (protocol === 'PLAINTEXT' || protocol === 'SSL') return undefined;
  // Kafka's default mechanism is GSSAPI, which this platform does not serve: it must be named.
  const mechanismText = (properties.get('sasl.mechanism') ?? 'GSSAPI').toUpperCase();
  const mechanism = MECHANISMS.find((candidate) => candidate === mechanismText);
  if (mechanism === undefined)
    throw new UsageError(
      `sasl.mechanism ${mechanismText} is not supported: use one of ${MECHANISMS.join(', ')}`,
    );
  const jaas = properties.get('sasl.jaas.config');
  if (jaas === undefined || jaas === '')
    throw new UsageError(`security.protocol ${protocol} needs sasl.jaas.config with a username and password`);
  const { module, options } = parseJaasConfig(jaas);
  if (!LOGIN_MODULES.has(module))
    throw new UsageError(
      `sasl.jaas.config: login module ${module} is not supported (ScramLoginModule, PlainLoginModule)`,
    );
  const username = options.get('username');
  const password = options.get('password');
  if (username === undefined || username === '' || password === undefined)
    throw new UsageError('sasl.jaas.config needs username="..." and password="..."');
  if (username.includes(':'))
    throw new UsageError(`the user name '${username}' cannot contain ':' (HTTP Basic)`);
  return { mechanism, username, password };
}

/** Reads `--command-config FILE`; undefined without one (or without SASL in it). */
export function commandConfigCredentials(
  path: string | null,
  readFile: (path: string) => string = (file) => readFileSync(file, 'utf8'),
): SaslCredentials | undefined {
  if (path === null) return undefined;
  let text: string;
  try {
    text = readFile(path);
  } catch (error) {
    throw new UsageError(
      `Cannot read --command-config ${path}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return credentialsOf(parsePropertiesText(text));
}
