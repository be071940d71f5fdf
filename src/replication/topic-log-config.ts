// A partition log's settings from its topic's configs (Kafka's topic config names) over the broker's
// defaults (log.retention.ms, log.segment.bytes, ...). Values were validated by the controller when set.
import type { MetadataImage } from '../metadata/image.ts';
import type { LogConfig } from '../storage/log-config.ts';

const TOPIC_KEYS: ReadonlyArray<readonly [string, keyof LogConfig]> = [
  ['retention.ms', 'retentionMs'],
  ['retention.bytes', 'retentionBytes'],
  ['segment.bytes', 'segmentBytesMax'],
  ['segment.ms', 'segmentAgeMsMax'],
  ['max.message.bytes', 'batchBytesMax'],
  ['index.interval.bytes', 'indexIntervalBytes'],
];

export function topicLogConfig(
  image: MetadataImage,
  topicName: string,
  brokerDefaults: Partial<LogConfig>,
): Partial<LogConfig> {
  const configs = image.configs.get(`topic:${topicName}`);
  const result: Partial<Record<keyof LogConfig, number>> = { ...brokerDefaults };
  for (const [name, field] of TOPIC_KEYS) {
    const value = Number(configs?.get(name));
    if (configs?.has(name) === true && Number.isSafeInteger(value)) result[field] = value;
  }
  return result;
}

/**
 * Whether the topic's cleanup.policy includes delete (its default): DeleteRecords is refused otherwise
 * (Kafka's LogConfig.delete).
 */
export function cleanupPolicyDeletes(image: MetadataImage, topicName: string): boolean {
  const policy = image.configs.get(`topic:${topicName}`)?.get('cleanup.policy') ?? 'delete';
  return policy.split(',').includes('delete');
}
