// A partition log's settings from its topic's configs (Kafka's topic config names) over the broker's
// defaults (log.retention.ms, log.segment.bytes, log.cleanup.policy, ...). Values were validated by the
// controller when set.
import type { MetadataImage } from '../metadata/image.ts';
import { LOG_CONFIG_DEFAULTS, type LogConfig } from '../storage/log-config.ts';

type NumericField = {
  [K in keyof LogConfig]: LogConfig[K] extends number ? K : never;
}[keyof LogConfig];

const TOPIC_KEYS: ReadonlyArray<readonly [string, NumericField]> = [
  ['retention.ms', 'retentionMs'],
  ['retention.bytes', 'retentionBytes'],
  ['segment.bytes', 'segmentBytesMax'],
  ['segment.ms', 'segmentAgeMsMax'],
  ['max.message.bytes', 'batchBytesMax'],
  ['index.interval.bytes', 'indexIntervalBytes'],
  ['delete.retention.ms', 'deleteRetentionMs'],
  ['min.compaction.lag.ms', 'minCompactionLagMs'],
  ['max.compaction.lag.ms', 'maxCompactionLagMs'],
  ['min.cleanable.dirty.ratio', 'minCleanableDirtyRatio'],
];

/**
 * The whole config: a topic config that is not set (or no longer) takes the broker's default, else
 * Kafka's (LOG_CONFIG_DEFAULTS).
 */
export function topicLogConfig(
  image: MetadataImage,
  topicName: string,
  brokerDefaults: Partial<LogConfig>,
): LogConfig {
  const configs = image.configs.get(`topic:${topicName}`);
  const result: { -readonly [K in keyof LogConfig]: LogConfig[K] } = {
    ...LOG_CONFIG_DEFAULTS,
    ...brokerDefaults,
  };
  for (const [name, field] of TOPIC_KEYS) {
    const value = Number(configs?.get(name));
    // Longs beyond 2^53 (Kafka's Long.MAX_VALUE: "never") are as good as the largest safe integer.
    if (configs?.has(name) === true && Number.isFinite(value)) {
      result[field] = Math.max(Math.min(value, Number.MAX_SAFE_INTEGER), -Number.MAX_SAFE_INTEGER);
    }
  }
  const policy = configs?.get('cleanup.policy');
  if (policy !== undefined) Object.assign(result, cleanupPolicyFlags(policy));
  return result;
}

/** cleanup.policy as the log's two flags: `compact`, `delete`, both, or (Kafka allows it) neither. */
export function cleanupPolicyFlags(policy: string): Pick<LogConfig, 'cleanupCompact' | 'cleanupDelete'> {
  const policies = policy.split(',').map((item) => item.trim());
  return { cleanupCompact: policies.includes('compact'), cleanupDelete: policies.includes('delete') };
}

/**
 * Whether the topic's cleanup.policy includes delete (its default): DeleteRecords is refused otherwise
 * (Kafka's LogConfig.delete).
 */
export function cleanupPolicyDeletes(image: MetadataImage, topicName: string): boolean {
  const policy = image.configs.get(`topic:${topicName}`)?.get('cleanup.policy') ?? 'delete';
  return policy.split(',').includes('delete');
}
