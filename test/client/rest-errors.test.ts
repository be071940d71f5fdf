// The SDK's reading of REST error bodies, against the server's own errors: each KafkaError is made by the
// code that throws it on a node (the controller's decisions, the coordinator's errors, the HTTP layer),
// answered through the server's mapping (toErrorBody), and must come back with its Kafka name.
import { describe, expect, it } from 'vitest';
import { nodeId, term } from '../../raft/types.ts';
import { errorFromRest, RestError } from '../../src/client/rest-errors.ts';
import { KafkaError, type KafkaErrorName } from '../../src/common/kafka-errors.ts';
import * as groupErrors from '../../src/groups/errors.ts';
import { HttpError, toErrorBody } from '../../src/http/errors.ts';
import {
  decideAlterTopicConfigs,
  decideCreatePartitions,
  decideCreateTopic,
  decideDeleteTopic,
} from '../../src/metadata/controller/topic-decisions.ts';
import { brokerEpoch, brokerId, metadataOffset, topicId } from '../../src/metadata/ids.ts';
import { emptyImage, type MetadataImage } from '../../src/metadata/image.ts';
import type { MetadataRecord } from '../../src/metadata/records.ts';
import { applyBatch } from '../../src/metadata/reducer.ts';

/** Three unfenced brokers and the topic `orders` (3 partitions). */
function clusterImage(): MetadataImage {
  let offset = 0;
  let image = emptyImage();
  const apply = (records: readonly MetadataRecord[]) => {
    offset += 1;
    image = applyBatch(image, records, metadataOffset(offset));
  };
  apply([{ type: 'leaderChange', leaderId: nodeId(1), epoch: term(1) }]);
  for (const id of [1, 2, 3])
    apply([
      {
        type: 'registerBroker',
        brokerId: brokerId(id),
        incarnationId: `00000000-0000-4000-8000-00000000000${id}`,
        endpoints: [{ name: 'CLIENT', host: '127.0.0.1', port: 8080 + id, securityProtocol: 'PLAINTEXT' }],
        rack: null,
        fenced: true,
        processRoles: ['broker', 'controller'],
      },
    ]);
  for (const broker of [...image.brokers.values()])
    apply([
      {
        type: 'brokerRegistrationChange',
        brokerId: broker.id,
        brokerEpoch: brokerEpoch(broker.epoch),
        fenced: false,
        inControlledShutdown: null,
      },
    ]);
  apply(decideCreateTopic(image, create('orders', { partitionsCount: 3 }), newTopicId()));
  apply(decideCreateTopic(image, create('a_b'), newTopicId()));
  return image;
}

let ids = 0;
const newTopicId = () => topicId(`10000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`);

function create(name: string, overrides: Partial<Parameters<typeof decideCreateTopic>[1]> = {}) {
  return {
    name,
    partitionsCount: 1,
    replicationFactor: 3,
    configs: new Map<string, string>(),
    assignments: null,
    ...overrides,
  };
}

/** What `thrower` throws on a node, as the SDK reads the node's answer. */
function answered(thrower: () => unknown): KafkaError | RestError {
  let thrown: unknown = null;
  try {
    thrower();
  } catch (error) {
    thrown = error;
  }
  if (thrown === null) throw new Error('nothing was thrown');
  const { status, body } = toErrorBody(thrown);
  return errorFromRest(status, JSON.stringify(body), 'POST http://node/test');
}

function expectKafkaError(error: KafkaError | RestError, name: KafkaErrorName): void {
  expect(error, error.message).toBeInstanceOf(KafkaError);
  expect((error as KafkaError).errorName, error.message).toBe(name);
}

describe('errorFromRest: the controller decisions of topic admin', () => {
  const image = clusterImage();
  const cases: readonly [string, () => unknown, KafkaErrorName][] = [
    [
      'create an existing topic',
      () => decideCreateTopic(image, create('orders'), newTopicId()),
      'TOPIC_ALREADY_EXISTS',
    ],
    [
      '0 partitions',
      () => decideCreateTopic(image, create('t', { partitionsCount: 0 }), newTopicId()),
      'INVALID_PARTITIONS',
    ],
    [
      'too many partitions',
      () => decideCreateTopic(image, create('t', { partitionsCount: 20_000 }), newTopicId()),
      'INVALID_PARTITIONS',
    ],
    [
      'replication factor 4 of 3 brokers',
      () => decideCreateTopic(image, create('t', { replicationFactor: 4 }), newTopicId()),
      'INVALID_REPLICATION_FACTOR',
    ],
    [
      'replication factor 0',
      () => decideCreateTopic(image, create('t', { replicationFactor: 0 }), newTopicId()),
      'INVALID_REPLICATION_FACTOR',
    ],
    [
      'a value of the wrong type',
      () =>
        decideCreateTopic(image, create('t', { configs: new Map([['retention.ms', 'soon']]) }), newTopicId()),
      'INVALID_CONFIG',
    ],
    [
      'a replication config out of range',
      () =>
        decideCreateTopic(
          image,
          create('t', { configs: new Map([['min.insync.replicas', '0']]) }),
          newTopicId(),
        ),
      'INVALID_CONFIG',
    ],
    [
      'an unknown config',
      () =>
        decideCreateTopic(
          image,
          create('t', { configs: new Map([['retention.partitions', '1']]) }),
          newTopicId(),
        ),
      'INVALID_CONFIG',
    ],
    [
      'conflicting configs',
      () =>
        decideCreateTopic(
          image,
          create('t', {
            configs: new Map([
              ['min.compaction.lag.ms', '10'],
              ['max.compaction.lag.ms', '5'],
            ]),
          }),
          newTopicId(),
        ),
      'INVALID_CONFIG',
    ],
    [
      'an illegal name',
      () => decideCreateTopic(image, create('no spaces'), newTopicId()),
      'INVALID_TOPIC_EXCEPTION',
    ],
    [
      'a colliding name',
      () => decideCreateTopic(image, create('a.b'), newTopicId()),
      'INVALID_TOPIC_EXCEPTION',
    ],
    [
      'a broker twice in an assignment',
      () => decideCreateTopic(image, create('t', { assignments: [[1, 1]] }), newTopicId()),
      'INVALID_REPLICA_ASSIGNMENT',
    ],
    [
      'an unknown broker in an assignment',
      () => decideCreateTopic(image, create('t', { assignments: [[7]] }), newTopicId()),
      'INVALID_REPLICA_ASSIGNMENT',
    ],
    ['delete a missing topic', () => decideDeleteTopic(image, 'missing'), 'UNKNOWN_TOPIC_OR_PARTITION'],
    ['fewer partitions', () => decideCreatePartitions(image, 'orders', 2), 'INVALID_PARTITIONS'],
    ['as many partitions', () => decideCreatePartitions(image, 'orders', 3), 'INVALID_PARTITIONS'],
    [
      'partitions of a missing topic',
      () => decideCreatePartitions(image, 'missing', 3),
      'UNKNOWN_TOPIC_OR_PARTITION',
    ],
    [
      'too few assignments for new partitions',
      () => decideCreatePartitions(image, 'orders', 5, [[1, 2, 3]]),
      'INVALID_REPLICA_ASSIGNMENT',
    ],
    [
      'alter to a bad value',
      () => decideAlterTopicConfigs(image, 'orders', [{ name: 'cleanup.policy', value: 'sometimes' }]),
      'INVALID_CONFIG',
    ],
    [
      'delete an unknown config',
      () => decideAlterTopicConfigs(image, 'orders', [{ name: 'colour', value: null }]),
      'INVALID_CONFIG',
    ],
    [
      'alter configs of a missing topic',
      () => decideAlterTopicConfigs(image, 'missing', []),
      'UNKNOWN_TOPIC_OR_PARTITION',
    ],
  ];
  it.each(cases)('%s', (_what, thrower, name) => {
    const error = answered(thrower);
    expectKafkaError(error, name);
    // The thrower's message, with where the answer came from in the cause.
    expect(error.cause).toBeInstanceOf(RestError);
    expect((error.cause as RestError).message).toContain('POST http://node/test answered');
  });
});

describe('errorFromRest: the group coordinator errors', () => {
  const cases: readonly [string, () => KafkaError][] = [
    ['notCoordinator', () => groupErrors.notCoordinator('g')],
    ['coordinatorLoadInProgress', () => groupErrors.coordinatorLoadInProgress('g')],
    ['invalidGroupId', () => groupErrors.invalidGroupId()],
    ['unknownMemberId', () => groupErrors.unknownMemberId('g', 'm')],
    ['illegalGeneration', () => groupErrors.illegalGeneration('g', 1, 2)],
    ['invalidSessionTimeout', () => groupErrors.invalidSessionTimeout(1, 6000, 300000)],
    ['groupIdNotFound', () => groupErrors.groupIdNotFound('g')],
    ['nonEmptyGroup', () => groupErrors.nonEmptyGroup('g')],
    ['invalidRequest', () => groupErrors.invalidRequest('no topics')],
    ['unknownTopicOrPartition', () => groupErrors.unknownTopicOrPartition('t', 0)],
    ['rebalanceInProgress', () => groupErrors.rebalanceInProgress('g')],
    ['inconsistentGroupProtocol', () => groupErrors.inconsistentGroupProtocol('g', 'range')],
    ['memberIdRequired', () => groupErrors.memberIdRequired('g')],
    ['fencedInstanceId', () => groupErrors.fencedInstanceId('g', 'i')],
  ];
  it.each(cases)('%s', (_what, make) => {
    const original = make();
    const error = answered(() => {
      throw original;
    });
    expectKafkaError(error, original.errorName);
    expect(error.message).toBe(original.message);
  });
});

describe('errorFromRest: answers of the HTTP layer and of the cluster moving', () => {
  const throwing = (error: Error) => () => {
    throw error;
  };
  const cases: readonly [string, Error, KafkaErrorName][] = [
    ['a topic not found', new HttpError('TOPIC_NOT_FOUND'), 'UNKNOWN_TOPIC_OR_PARTITION'],
    [
      'a partition not found',
      new HttpError('PARTITION_NOT_FOUND', 'Partition 9 of topic t cannot be found.'),
      'UNKNOWN_TOPIC_OR_PARTITION',
    ],
    [
      'a group not found',
      new HttpError('NOT_FOUND', 'Consumer group g cannot be found.'),
      'GROUP_ID_NOT_FOUND',
    ],
    [
      'a partition count refused by the schema',
      new HttpError('INVALID_PAYLOAD', "Field 'partitions_count' must be >= 1."),
      'INVALID_PARTITIONS',
    ],
    [
      'a replication factor refused by the schema',
      new HttpError('INVALID_PAYLOAD', "Field 'replication_factor' must be >= 1."),
      'INVALID_REPLICATION_FACTOR',
    ],
    [
      'a config given twice',
      new HttpError('KAFKA_BAD_REQUEST', 'Config retention.ms is given more than once.'),
      'INVALID_REQUEST',
    ],
    ['throttled', new HttpError('THROTTLED'), 'THROTTLING_QUOTA_EXCEEDED'],
    // The messages of src/metadata and src/node, where the controller and data plane throw them.
    [
      'no active controller',
      new KafkaError('NOT_CONTROLLER', 'This node is not the active controller.'),
      'NOT_CONTROLLER',
    ],
    [
      'a deposed controller',
      new KafkaError('NOT_CONTROLLER', 'This is not the correct controller for this cluster.'),
      'NOT_CONTROLLER',
    ],
    [
      'no controller in time',
      new KafkaError(
        'REQUEST_TIMED_OUT',
        'No active controller answered create-topic within 30000 ms: connect ECONNREFUSED.',
      ),
      'REQUEST_TIMED_OUT',
    ],
    [
      'no leader',
      new KafkaError('LEADER_NOT_AVAILABLE', 'Partition t-0 has no leader.'),
      'LEADER_NOT_AVAILABLE',
    ],
    [
      'a node starting',
      new KafkaError('LEADER_NOT_AVAILABLE', 'This node has not caught up with the metadata quorum yet.'),
      'LEADER_NOT_AVAILABLE',
    ],
    [
      'a small ISR',
      new KafkaError(
        'NOT_ENOUGH_REPLICAS',
        'The size of the current ISR [1] is insufficient to satisfy the min.isr requirement of 2 for partition t-0.',
      ),
      'NOT_ENOUGH_REPLICAS',
    ],
    [
      'an unknown server error',
      new KafkaError('UNKNOWN_SERVER_ERROR', 'Broker 2 answered 500'),
      'UNKNOWN_SERVER_ERROR',
    ],
  ];
  it.each(cases)('%s', (_what, thrown, name) => {
    expectKafkaError(answered(throwing(thrown)), name);
  });

  it('a retriable error is retriable, a not-found is not retried by the admin (UNKNOWN_TOPIC_OR_PARTITION is final there)', () => {
    expect(
      (
        answered(
          throwing(new KafkaError('NOT_CONTROLLER', 'This node is not the active controller.')),
        ) as KafkaError
      ).retriable,
    ).toBe(true);
    expect((answered(throwing(groupErrors.nonEmptyGroup('g'))) as KafkaError).retriable).toBe(false);
  });

  it('answers that name no Kafka error are RestErrors with their status and code', () => {
    const route = answered(() => {
      throw new HttpError('NOT_FOUND');
    });
    expect(route).toBeInstanceOf(RestError);
    expect(route).toMatchObject({ status: 404, errorCode: 404, retriable: false });
    const member = answered(() => {
      throw new HttpError('NOT_FOUND', 'Consumer m-1 cannot be found in consumer group g.');
    });
    expect(member).toBeInstanceOf(RestError);
    const unnamed = answered(() => {
      throw new KafkaError('REPLICA_NOT_AVAILABLE', 'Something moved.');
    });
    expect(unnamed).toBeInstanceOf(RestError);
    expect(unnamed).toMatchObject({ status: 500, errorCode: 50003, retriable: true });
  });

  it('a body that is not JSON keeps the status as its code', () => {
    const error = errorFromRest(502, '<html>Bad Gateway</html>', 'GET http://proxy/v3/clusters');
    expect(error).toBeInstanceOf(RestError);
    expect(error).toMatchObject({ status: 502, errorCode: 502, retriable: true });
    expect(error.message).toContain('Bad Gateway');
  });
});
