// The SASL part of Kafka's `--command-config client.properties` (client-config.ts reads the rest):
// sasl.mechanism and sasl.jaas.config (`org.apache.kafka.common.security.scram.ScramLoginModule required
// username="alice" password="...";`, or PlainLoginModule), as Kafka's clients read them. The user and
// password go to the cluster as HTTP Basic (src/client/credentials.ts), which its SASL_* client listener
// checks as SASL checks them.
import type { SaslCredentials, SaslMechanismName } from '../client/credentials.ts';
import { UsageError } from './errors.ts';

const MECHANISMS: readonly SaslMechanismName[] = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'];
const LOGIN_MODULES: ReadonlySet<string> = new Set([
  'org.apache.kafka.common.security.scram.ScramLoginModule',
  'org.apache.kafka.common.security.plain.PlainLoginModule',
]);

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

/** The SASL credentials of a SASL_PLAINTEXT / SASL_SSL client config (`protocol` already checked). */
export function saslCredentialsOf(
  protocol: string,
  properties: ReadonlyMap<string, string>,
): SaslCredentials | undefined {
  if (protocol !== 'SASL_PLAINTEXT' && protocol !== 'SASL_SSL') return undefined;
  // Kafka's default mechanism is GSSAPI, which this platform does not serve: it must be named.
  const mechanismText = (properties.get('sasl.mechanism') ?? 'GSSAPI').toUpperCase();
  const mechanism = MECHANISMS.find((candidate) => candidate === mechanismText);
  if (mechanism === undefined)
    throw new UsageError(
      `--command-config: sasl.mechanism ${mechanismText} is not supported: use one of ${MECHANISMS.join(', ')}`,
    );
  const jaas = properties.get('sasl.jaas.config');
  if (jaas === undefined || jaas === '')
    throw new UsageError(
      `--command-config: security.protocol ${protocol} needs sasl.jaas.config with a username and password`,
    );
  const { module, options } = parseJaasConfig(jaas);
  if (!LOGIN_MODULES.has(module))
    throw new UsageError(
      `--command-config: sasl.jaas.config's login module ${module} is not supported (ScramLoginModule, PlainLoginModule)`,
    );
  const username = options.get('username');
  const password = options.get('password');
  if (username === undefined || username === '' || password === undefined)
    throw new UsageError('--command-config: sasl.jaas.config needs username="..." and password="..."');
  if (username.includes(':'))
    throw new UsageError(`--command-config: the user name '${username}' cannot contain ':' (HTTP Basic)`);
  return { mechanism, username, password };
}
