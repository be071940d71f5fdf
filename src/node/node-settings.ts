// This node's settings as Kafka's describe shows them: every node config key with its value in effect,
// whether the node was given it (STATIC_BROKER_CONFIG) or runs on Kafka's default, its type and its doc.
import type { NodeSetting } from '../metadata/broker-config-describe.ts';
import { buildNodeConfig, configToProperties, type NodeConfig } from './config.ts';
import { NODE_CONFIG_KEYS } from './config-defaults.ts';

/** What every node is given: these have no default. */
const REQUIRED_KEYS = ['node.id', 'process.roles', 'controller.quorum.voters', 'listeners', 'log.dirs'];

/** The settings whose values differ from what a config with only the required keys would have. */
export function settingsAwayFromDefaults(config: NodeConfig): Map<string, string> {
  const properties = configToProperties(config);
  const minimal = new Map(REQUIRED_KEYS.map((key) => [key, properties.get(key) ?? '']));
  // Every listener plain: the defaults need no certificate (a listener named SSL would want one).
  minimal.set(
    'listener.security.protocol.map',
    [...config.listenerSecurityProtocols.keys()].map((name) => `${name}:PLAINTEXT`).join(','),
  );
  const defaults = configToProperties(buildNodeConfig(minimal).config);
  return new Map(
    [...properties].filter(
      (entry): entry is [string, string] => entry[1] !== null && entry[1] !== defaults.get(entry[0]),
    ),
  );
}

/** Every node config key (aliases folded into their key), in name order. */
export function nodeSettings(config: NodeConfig): NodeSetting[] {
  const given = settingsAwayFromDefaults(config);
  return [...configToProperties(config)].map(([name, value]) => {
    const definition = NODE_CONFIG_KEYS.get(name);
    return {
      name,
      type: definition?.type ?? 'string',
      value,
      isStatic: given.has(name) || REQUIRED_KEYS.includes(name),
      documentation: definition?.doc ?? '',
    };
  });
}
