// Config resources and sources as Kafka's wire numbers them (ConfigResource.Type,
// DescribeConfigsResponse.ConfigSource and ConfigType), and the checks on a resource's name that
// DescribeConfigs and the two AlterConfigs share.
import { KafkaError } from '../../common/kafka-errors.ts';
import type { BrokerId } from '../../metadata/ids.ts';
import type { ConfigSource } from '../../metadata/topic-config-describe.ts';
import type { ConfigType } from '../../metadata/topic-configs.ts';

export const TOPIC_RESOURCE = 2;
export const BROKER_RESOURCE = 4;

export const CONFIG_SOURCE_IDS: Readonly<Record<ConfigSource, number>> = {
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
};

export const CONFIG_TYPE_IDS: Readonly<Record<ConfigType, number>> = {
  boolean: 1,
  string: 2,
  int: 3,
  long: 5,
  double: 6,
  list: 7,
};

/**
 * Checks the name of a BROKER resource: "" (the cluster-wide defaults) or this node's id; anything else
 * is INVALID_REQUEST with Kafka's messages, which differ between describing (ConfigHelper) and altering
 * (ConfigAdminManager). Kafka's clients send a broker's resource to that broker.
 */
export function checkBrokerResource(resourceName: string, self: BrokerId, api: 'describe' | 'alter'): void {
  if (resourceName === '') return;
  if (!/^[+-]?[0-9]+$/.test(resourceName)) {
    const what = api === 'describe' ? 'Broker id' : 'Node id';
    throw new KafkaError('INVALID_REQUEST', `${what} must be an integer, but it is: ${resourceName}`);
  }
  if (Number(resourceName) !== self) {
    const expected = api === 'describe' ? `${self} or empty string` : `${self}`;
    throw new KafkaError(
      'INVALID_REQUEST',
      `Unexpected broker id, expected ${expected}, but received ${resourceName}`,
    );
  }
}
