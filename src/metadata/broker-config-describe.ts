// What DescribeConfigs shows of a BROKER resource (Kafka's ConfigHelper): this node's own settings with
// their source, in Kafka's precedence: a dynamic cluster-wide default in the image, then the node's
// static config (node.properties or a flag), then Kafka's default. No broker config can be altered
// dynamically here, so every one is read-only; the controller writes no broker config yet, so the
// dynamic layer, and with it the cluster-default resource (name ""), are empty today.

import type { MetadataImage } from './image.ts';
import { configResourceKey } from './image.ts';
import type { ConfigSource, ConfigSynonym } from './topic-config-describe.ts';
import type { ConfigType } from './topic-configs.ts';

/** One of a node's settings as it runs (src/node builds them from its config). */
export interface NodeSetting {
  readonly name: string;
  readonly type: ConfigType;
  /** The value in effect; null when unset and without a default (e.g. broker.rack). */
  readonly value: string | null;
  /** True when the node was given a value away from Kafka's default; false for the default. */
  readonly isStatic: boolean;
  readonly documentation: string;
}

export interface BrokerConfigDescription {
  readonly name: string;
  readonly value: string | null;
  readonly source: ConfigSource;
  readonly type: ConfigType;
  readonly documentation: string;
  /** Every source that sets this config, highest precedence first (the first one is in effect). */
  readonly synonyms: readonly ConfigSynonym[];
}

/** This node's settings, each with where its value comes from. */
export function describeBrokerConfigs(
  image: MetadataImage,
  settings: readonly NodeSetting[],
): BrokerConfigDescription[] {
  const clusterDefaults = image.configs.get(configResourceKey('broker', ''));
  return settings.map((setting) => {
    const dynamicDefault = clusterDefaults?.get(setting.name);
    const synonyms: ConfigSynonym[] = [];
    if (dynamicDefault !== undefined)
      synonyms.push({ name: setting.name, value: dynamicDefault, source: 'DYNAMIC_DEFAULT_BROKER_CONFIG' });
    if (setting.value !== null)
      synonyms.push({
        name: setting.name,
        value: setting.value,
        source: setting.isStatic ? 'STATIC_BROKER_CONFIG' : 'DEFAULT_CONFIG',
      });
    const inEffect = synonyms[0];
    return {
      name: setting.name,
      value: inEffect?.value ?? null,
      source: inEffect?.source ?? 'DEFAULT_CONFIG',
      type: setting.type,
      documentation: setting.documentation,
      synonyms,
    };
  });
}

/** The cluster-wide dynamic broker defaults (the BROKER resource named ""), as Kafka lists them. */
export function describeClusterBrokerDefaults(
  image: MetadataImage,
  settings: readonly NodeSetting[],
): BrokerConfigDescription[] {
  const clusterDefaults = image.configs.get(configResourceKey('broker', ''));
  if (clusterDefaults === undefined) return [];
  const byName = new Map(settings.map((setting) => [setting.name, setting]));
  return [...clusterDefaults].map(([name, value]) => {
    const synonym: ConfigSynonym = { name, value, source: 'DYNAMIC_DEFAULT_BROKER_CONFIG' };
    return {
      name,
      value,
      source: synonym.source,
      type: byName.get(name)?.type ?? 'string',
      documentation: byName.get(name)?.documentation ?? '',
      synonyms: [synonym],
    };
  });
}

/** Kafka's static broker settings a topic inherits, by broker config name (describeTopicConfigs' input). */
export function staticBrokerSettings(settings: readonly NodeSetting[]): Map<string, string> {
  return new Map(
    settings.flatMap((setting) =>
      setting.isStatic && setting.value !== null ? [[setting.name, setting.value] as const] : [],
    ),
  );
}
