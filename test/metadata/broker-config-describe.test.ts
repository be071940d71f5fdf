// A BROKER resource as DescribeConfigs shows it: a dynamic cluster-wide default over the node's static
// setting over Kafka's default, and the cluster-default resource ("") listing only dynamic defaults.
import { describe, expect, it } from 'vitest';
import {
  describeBrokerConfigs,
  describeClusterBrokerDefaults,
  type NodeSetting,
  staticBrokerSettings,
} from '../../src/metadata/broker-config-describe.ts';
import { metadataOffset } from '../../src/metadata/ids.ts';
import { emptyImage } from '../../src/metadata/image.ts';
import { applyBatch } from '../../src/metadata/reducer.ts';

const SETTINGS: readonly NodeSetting[] = [
  { name: 'broker.rack', type: 'string', value: null, isStatic: false, documentation: 'Rack' },
  { name: 'log.retention.ms', type: 'long', value: '3600000', isStatic: true, documentation: 'Retention' },
  { name: 'message.max.bytes', type: 'int', value: '1048588', isStatic: false, documentation: 'Largest' },
];

const withClusterDefault = applyBatch(
  emptyImage(),
  [{ type: 'config', resourceType: 'broker', resourceName: '', name: 'log.retention.ms', value: '60000' }],
  metadataOffset(1),
);

describe('describeBrokerConfigs', () => {
  it('static over default; unset without a default has no value and no synonym', () => {
    const described = describeBrokerConfigs(emptyImage(), SETTINGS);
    expect(described.map((config) => [config.name, config.value, config.source])).toEqual([
      ['broker.rack', null, 'DEFAULT_CONFIG'],
      ['log.retention.ms', '3600000', 'STATIC_BROKER_CONFIG'],
      ['message.max.bytes', '1048588', 'DEFAULT_CONFIG'],
    ]);
    expect(described[0]!.synonyms).toEqual([]);
  });

  it('a dynamic cluster-wide default wins, with the static value as its synonym', () => {
    const retention = describeBrokerConfigs(withClusterDefault, SETTINGS)[1]!;
    expect(retention).toMatchObject({
      value: '60000',
      source: 'DYNAMIC_DEFAULT_BROKER_CONFIG',
      type: 'long',
    });
    expect(retention.synonyms.map((synonym) => [synonym.value, synonym.source])).toEqual([
      ['60000', 'DYNAMIC_DEFAULT_BROKER_CONFIG'],
      ['3600000', 'STATIC_BROKER_CONFIG'],
    ]);
    expect(describeClusterBrokerDefaults(withClusterDefault, SETTINGS)).toEqual([
      {
        name: 'log.retention.ms',
        value: '60000',
        source: 'DYNAMIC_DEFAULT_BROKER_CONFIG',
        type: 'long',
        documentation: 'Retention',
        synonyms: [{ name: 'log.retention.ms', value: '60000', source: 'DYNAMIC_DEFAULT_BROKER_CONFIG' }],
      },
    ]);
    expect(describeClusterBrokerDefaults(emptyImage(), SETTINGS)).toEqual([]);
  });

  it('what topics inherit: the static settings with a value', () => {
    expect(staticBrokerSettings(SETTINGS)).toEqual(new Map([['log.retention.ms', '3600000']]));
  });
});
