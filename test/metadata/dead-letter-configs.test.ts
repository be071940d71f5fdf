import { describe, expect, it } from 'vitest';
import { metadataOffset, topicId } from '../../src/metadata/ids.ts';
import { emptyImage } from '../../src/metadata/image.ts';
import type { MetadataRecord } from '../../src/metadata/records.ts';
import { applyBatch } from '../../src/metadata/reducer.ts';
import { deadLetterPolicy, deadLetterRoutes } from '../../src/metadata/dead-letter-policy.ts';
import { describeTopicConfigs } from '../../src/metadata/topic-config-describe.ts';
import { topicConfigConflict, validateTopicConfig } from '../../src/metadata/topic-configs.ts';

function imageWith(topics: Record<string, Record<string, string>>) {
  const records: MetadataRecord[] = [];
  let id = 0;
  for (const [name, configs] of Object.entries(topics)) {
    id += 1;
    records.push({ type: 'topic', name, topicId: topicId(`00000000-0000-4000-8000-00000000000${id}`) });
    for (const [config, value] of Object.entries(configs)) {
      records.push({ type: 'config', resourceType: 'topic', resourceName: name, name: config, value });
    }
  }
  return applyBatch(emptyImage(), records, metadataOffset(1));
}

describe('dead-letter topic configs', () => {
  it.each([
    ['dead.letter.enable', 'TRUE', 'true'],
    ['dead.letter.topic', ' orders-failed.dlq ', 'orders-failed.dlq'],
    ['max.delivery.attempts', '1', '1'],
    ['dead.letter.retry.delay.ms', '0', '0'],
  ])('accepts %s=%j as %j', (name, value, normalized) => {
    expect(validateTopicConfig(name, value)).toEqual({ ok: true, value: normalized });
  });

  it.each([
    ['dead.letter.enable', 'yes', 'Expected value to be either true or false'],
    ['dead.letter.topic', 'failed', "A dead-letter topic's name must end with .dlq"],
    ['dead.letter.topic', '', "Topic name is illegal, it can't be empty"],
    ['dead.letter.topic', 'bad name.dlq', 'contains a character other than'],
    ['max.delivery.attempts', '0', 'Value must be at least 1'],
    ['max.delivery.attempts', '2147483648', 'Not a number of type INT'],
    ['dead.letter.retry.delay.ms', '-1', 'Value must be at least 0'],
  ])('refuses %s=%j', (name, value, reason) => {
    const result = validateTopicConfig(name, value);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reason);
  });

  it('refuses dead-letter topics of dead-letter topics, and a default name that cannot be a topic', () => {
    const on = new Map([['dead.letter.enable', 'true']]);
    expect(topicConfigConflict(on, 'orders')).toBeNull();
    expect(topicConfigConflict(new Map(), 'orders.dlq')).toBeNull();
    expect(topicConfigConflict(on, 'orders.dlq')).toBe(
      'Topic orders.dlq is a dead-letter topic (its name ends with .dlq): dead.letter.enable must stay false',
    );
    const long = 'x'.repeat(249);
    expect(topicConfigConflict(on, long)).toContain('set dead.letter.topic');
    expect(topicConfigConflict(new Map([...on, ['dead.letter.topic', 'short.dlq']]), long)).toBeNull();
  });

  it('describes the defaults as they apply to the topic, without broker synonyms', () => {
    const image = imageWith({ orders: {} });
    const byName = new Map(describeTopicConfigs(image, 'orders')!.map((c) => [c.name, c]));
    expect(byName.get('dead.letter.topic')).toMatchObject({
      value: 'orders.dlq',
      source: 'DEFAULT_CONFIG',
      is_default: true,
      synonyms: [{ name: 'dead.letter.topic', value: 'orders.dlq', source: 'DEFAULT_CONFIG' }],
    });
    expect(byName.get('dead.letter.enable')).toMatchObject({ value: 'false', is_default: true });
    expect(byName.get('max.delivery.attempts')).toMatchObject({ value: '3', is_default: true });
    expect(byName.get('dead.letter.retry.delay.ms')).toMatchObject({ value: '30000', is_default: true });
  });

  it('gives the policy of topics with dead.letter.enable=true, and the routes of a subscription', () => {
    const image = imageWith({
      orders: { 'dead.letter.enable': 'true' },
      payments: {
        'dead.letter.enable': 'true',
        'dead.letter.topic': 'shared.dlq',
        'max.delivery.attempts': '5',
        'dead.letter.retry.delay.ms': '10',
      },
      refunds: { 'dead.letter.enable': 'true', 'dead.letter.topic': 'shared.dlq' },
      plain: {},
    });
    expect(deadLetterPolicy(image, 'orders')).toEqual({
      topic: 'orders.dlq',
      maxDeliveryAttempts: 3,
      retryDelayMs: 30000,
    });
    expect(deadLetterPolicy(image, 'payments')).toEqual({
      topic: 'shared.dlq',
      maxDeliveryAttempts: 5,
      retryDelayMs: 10,
    });
    expect(deadLetterPolicy(image, 'plain')).toBeNull();
    expect(deadLetterPolicy(image, 'missing')).toBeNull();
    expect(deadLetterRoutes(image, ['orders', 'payments', 'refunds', 'plain'])).toEqual(
      new Map([
        ['orders.dlq', new Set(['orders'])],
        ['shared.dlq', new Set(['payments', 'refunds'])],
      ]),
    );
  });
});
