// What `GET /v3/clusters/{c}/topics/{t}/configs` shows: every known topic config with its effective
// value and where it comes from, in Kafka's precedence (DescribeConfigs): a dynamic topic override, then
// the dynamic cluster-wide broker default, then the node's static config (node.properties), then
// Kafka's default. Field names are the Confluent REST v3 ones.

import type { MetadataImage } from './image.ts';
import { configResourceKey } from './image.ts';
import { topicByName } from './queries.ts';
import { TOPIC_CONFIGS, topicConfigDefault } from './topic-configs.ts';

export type ConfigSource =
  | 'DYNAMIC_TOPIC_CONFIG'
  | 'DYNAMIC_DEFAULT_BROKER_CONFIG'
  | 'STATIC_BROKER_CONFIG'
  | 'DEFAULT_CONFIG';

export interface ConfigSynonym {
  readonly name: string;
  readonly value: string;
  readonly source: ConfigSource;
}

export interface TopicConfigDescription {
  readonly name: string;
  readonly value: string;
  readonly source: ConfigSource;
  readonly is_default: boolean;
  readonly is_read_only: false;
  readonly is_sensitive: false;
  /** Every source that sets this config, highest precedence first (the first one is in effect). */
  readonly synonyms: readonly ConfigSynonym[];
}

/**
 * Describes the configs of topic `topicName`, or returns null when there is no such topic.
 * `staticBrokerConfig` is the node's own config by broker config name (e.g. `log.retention.ms`,
 * `min.insync.replicas`).
 */
export function describeTopicConfigs(
  image: MetadataImage,
  topicName: string,
  staticBrokerConfig: ReadonlyMap<string, string> = new Map(),
): TopicConfigDescription[] | null {
  if (topicByName(image, topicName) === undefined) return null;
  const topicOverrides = image.configs.get(configResourceKey('topic', topicName));
  const clusterDefaults = image.configs.get(configResourceKey('broker', ''));
  return [...TOPIC_CONFIGS.values()].map((definition) => {
    const broker = definition.brokerSynonym;
    const candidates: [string, string | undefined, ConfigSource][] = [
      [definition.name, topicOverrides?.get(definition.name), 'DYNAMIC_TOPIC_CONFIG'],
      // A config of ours without a broker config (acks) has no broker-level default to inherit.
      ...(broker === undefined
        ? []
        : ([
            [broker, clusterDefaults?.get(broker), 'DYNAMIC_DEFAULT_BROKER_CONFIG'],
            [broker, staticBrokerConfig.get(broker), 'STATIC_BROKER_CONFIG'],
          ] as [string, string | undefined, ConfigSource][])),
      [broker ?? definition.name, definition.defaultValue, 'DEFAULT_CONFIG'],
    ];
    const synonyms: ConfigSynonym[] = [];
    for (const [name, value, source] of candidates) {
      // A default that depends on the topic (dead.letter.topic: `<topic>.dlq`) is shown as it applies.
      const shown = source === 'DEFAULT_CONFIG' ? topicConfigDefault(definition, topicName) : value;
      if (shown !== undefined) synonyms.push({ name, value: shown, source });
    }
    // The DEFAULT_CONFIG candidate is always there, so the list is never empty.
    const inEffect = synonyms[0]!;
    return {
      name: definition.name,
      value: inEffect.value,
      source: inEffect.source,
      is_default: inEffect.source === 'DEFAULT_CONFIG',
      is_read_only: false,
      is_sensitive: false,
      synonyms,
    };
  });
}
