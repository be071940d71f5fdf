import { describe, expect, it } from 'vitest';
import { metadataOffset, topicId } from '../../src/metadata/ids.ts';
import { emptyImage } from '../../src/metadata/image.ts';
import type { MetadataRecord } from '../../src/metadata/records.ts';
import { applyBatch } from '../../src/metadata/reducer.ts';
import { describeTopicConfigs } from '../../src/metadata/topic-config-describe.ts';
import {
  acksNumber,
  TOPIC_CONFIGS,
  topicAcks,
  topicConfigConflict,
  topicConfigDefault,
  validateTopicConfig,
} from '../../src/metadata/topic-configs.ts';

describe('validateTopicConfig', () => {
  it.each([
    ['retention.ms', '-1', '-1'],
    ['retention.ms', ' 604800000 ', '604800000'],
    ['retention.ms', '+007', '7'],
    ['retention.bytes', '-5', '-5'],
    ['flush.messages', '9223372036854775807', '9223372036854775807'],
    ['segment.bytes', '14', '14'],
    ['min.insync.replicas', '2', '2'],
    ['unclean.leader.election.enable', 'TRUE', 'true'],
    ['cleanup.policy', 'compact, delete', 'compact,delete'],
    ['cleanup.policy', 'compact', 'compact'],
    ['compression.type', 'zstd', 'zstd'],
    ['message.timestamp.type', 'LogAppendTime', 'LogAppendTime'],
    ['min.cleanable.dirty.ratio', '0.25', '0.25'],
    ['min.cleanable.dirty.ratio', '1', '1'],
    ['acks', 'all', 'all'],
    ['acks', ' -1 ', '-1'],
    ['acks', '1', '1'],
    ['acks', '0', '0'],
  ])('accepts %s=%j as %j', (name, value, normalized) => {
    expect(validateTopicConfig(name, value)).toEqual({ ok: true, value: normalized });
  });

  it.each([
    ['foo', '1', 'Unknown topic config name: foo'],
    ['retention.ms', 'abc', 'Invalid value abc for configuration retention.ms: Not a number of type LONG'],
    ['retention.ms', '-2', 'Invalid value -2 for configuration retention.ms: Value must be at least -1'],
    ['retention.ms', '9223372036854775808', 'Not a number of type LONG'],
    ['retention.ms', '1.5', 'Not a number of type LONG'],
    ['segment.bytes', '13', 'Invalid value 13 for configuration segment.bytes: Value must be at least 14'],
    ['segment.bytes', '2147483648', 'Not a number of type INT'],
    ['min.insync.replicas', '0', 'Value must be at least 1'],
    ['segment.ms', '0', 'Value must be at least 1'],
    ['unclean.leader.election.enable', 'yes', 'Expected value to be either true or false'],
    ['cleanup.policy', 'compact,purge', 'String must be one of: compact, delete'],
    ['acks', '2', 'Invalid value 2 for configuration acks: String must be one of: all, -1, 0, 1'],
    ['acks', 'ALL', 'String must be one of: all, -1, 0, 1'],
    ['cleanup.policy', '', 'String must be one of: compact, delete'],
    ['compression.type', 'brotli', 'String must be one of: uncompressed, zstd, lz4, snappy, gzip, producer'],
    ['message.timestamp.type', 'createtime', 'String must be one of: CreateTime, LogAppendTime'],
    ['min.cleanable.dirty.ratio', '1.5', 'Value must be no more than 1'],
    ['min.cleanable.dirty.ratio', 'NaN', 'Not a number of type DOUBLE'],
  ])('refuses %s=%j', (name, value, reason) => {
    const result = validateTopicConfig(name, value);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reason);
  });

  it('knows the main configs with Kafka defaults, and every default is valid', () => {
    expect(TOPIC_CONFIGS.get('retention.ms')?.defaultValue).toBe('604800000');
    expect(TOPIC_CONFIGS.get('segment.bytes')?.defaultValue).toBe('1073741824');
    expect(TOPIC_CONFIGS.get('max.message.bytes')?.defaultValue).toBe('1048588');
    expect(TOPIC_CONFIGS.get('unclean.leader.election.enable')?.defaultValue).toBe('false');
    for (const definition of TOPIC_CONFIGS.values()) {
      const value = topicConfigDefault(definition, 'orders');
      expect(validateTopicConfig(definition.name, value)).toEqual({ ok: true, value });
    }
  });

  it('reads acks as a number: all and -1 are the same; a topic without the config gets all', () => {
    expect([acksNumber('all'), acksNumber('-1'), acksNumber('0'), acksNumber('1'), acksNumber('2')]).toEqual([
      -1,
      -1,
      0,
      1,
      null,
    ]);
    expect(topicAcks(undefined)).toBe(-1);
    expect(topicAcks(new Map([['retention.ms', '5']]))).toBe(-1);
    expect(topicAcks(new Map([['acks', '1']]))).toBe(1);
    expect(topicAcks(new Map([['acks', '0']]))).toBe(0);
  });

  it('checks min.compaction.lag.ms <= max.compaction.lag.ms', () => {
    expect(topicConfigConflict(new Map([['min.compaction.lag.ms', '10']]), 't')).toBeNull();
    expect(
      topicConfigConflict(
        new Map([
          ['min.compaction.lag.ms', '10'],
          ['max.compaction.lag.ms', '5'],
        ]),
        't',
      ),
    ).toBe('conflict topic config setting min.compaction.lag.ms (10) > max.compaction.lag.ms (5)');
  });
});

describe('describeTopicConfigs', () => {
  const config = (
    resourceType: 'topic' | 'broker',
    resourceName: string,
    name: string,
    value: string,
  ): MetadataRecord => ({
    type: 'config',
    resourceType,
    resourceName,
    name,
    value,
  });
  const image = applyBatch(
    emptyImage(),
    [
      { type: 'topic', name: 'orders', topicId: topicId('6f1c1f4e-8a55-4d7e-9f0e-0d2b8c3a1b2c') },
      config('topic', 'orders', 'retention.ms', '1000'),
      config('broker', '', 'log.segment.bytes', '5000'),
    ],
    metadataOffset(1),
  );

  it('returns null for an unknown topic', () => {
    expect(describeTopicConfigs(image, 'nope')).toBeNull();
  });

  it('shows every known config with its source, in precedence order', () => {
    const described = describeTopicConfigs(image, 'orders', new Map([['min.insync.replicas', '2']]))!;
    expect(described.map((d) => d.name)).toEqual([...TOPIC_CONFIGS.keys()]);
    const byName = new Map(described.map((d) => [d.name, d]));
    expect(byName.get('retention.ms')).toEqual({
      name: 'retention.ms',
      value: '1000',
      source: 'DYNAMIC_TOPIC_CONFIG',
      is_default: false,
      is_read_only: false,
      is_sensitive: false,
      synonyms: [
        { name: 'retention.ms', value: '1000', source: 'DYNAMIC_TOPIC_CONFIG' },
        { name: 'log.retention.ms', value: '604800000', source: 'DEFAULT_CONFIG' },
      ],
    });
    // Ours, without a broker config: only the topic's value or the default.
    expect(byName.get('acks')).toEqual({
      name: 'acks',
      value: 'all',
      source: 'DEFAULT_CONFIG',
      is_default: true,
      is_read_only: false,
      is_sensitive: false,
      synonyms: [{ name: 'acks', value: 'all', source: 'DEFAULT_CONFIG' }],
    });
    expect(byName.get('segment.bytes')).toMatchObject({
      value: '5000',
      source: 'DYNAMIC_DEFAULT_BROKER_CONFIG',
    });
    expect(byName.get('min.insync.replicas')).toMatchObject({
      value: '2',
      source: 'STATIC_BROKER_CONFIG',
      is_default: false,
    });
    expect(byName.get('cleanup.policy')).toMatchObject({
      value: 'delete',
      source: 'DEFAULT_CONFIG',
      is_default: true,
    });
  });
});
