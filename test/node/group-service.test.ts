// GroupService's creation of __consumer_offsets: only with offsets.topic.replication.factor replicas,
// COORDINATOR_NOT_AVAILABLE (retried until the request's deadline) while fewer brokers are alive. The
// image and the controller are test/http's FakeNode; the coordinator is FakeGroups, on this node.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { KafkaError } from '../../src/common/kafka-errors.ts';
import type { AdminApi } from '../../src/http/ports.ts';
import { brokerEpoch, brokerId } from '../../src/metadata/ids.ts';
import { topicByName } from '../../src/metadata/queries.ts';
import type { MetadataRecord } from '../../src/metadata/records.ts';
import { GroupService, OFFSETS_TOPIC } from '../../src/node/group-service.ts';
import { expectKafkaError } from '../groups/helpers.ts';
import { FakeNode } from '../http/fake-node.ts';

function fencing(node: FakeNode, id: number, fenced: boolean): MetadataRecord[] {
  const broker = node.image().brokers.get(brokerId(id))!;
  return [
    {
      type: 'brokerRegistrationChange',
      brokerId: broker.id,
      brokerEpoch: brokerEpoch(broker.epoch),
      fenced,
      inControlledShutdown: null,
    },
  ];
}

/** `node` as the AdminApi, with some of its calls replaced. */
function adminOf(node: FakeNode, replaced: Partial<AdminApi>): AdminApi {
  return {
    createTopic: (request) => node.createTopic(request),
    deleteTopic: (name) => node.deleteTopic(name),
    createPartitions: (name, count, validateOnly) => node.createPartitions(name, count, validateOnly),
    alterTopicConfigs: (name, alterations, validateOnly) =>
      node.alterTopicConfigs(name, alterations, validateOnly),
    catchUp: (timeoutMs) => node.catchUp(timeoutMs),
    describeQuorum: () => node.describeQuorum(),
    createAcls: (bindings) => node.createAcls(bindings),
    deleteAcls: (filters) => node.deleteAcls(filters),
    describeAcls: (filter) => node.describeAcls(filter),
    alterUserScramCredentials: (upsertions, deletions) =>
      node.alterUserScramCredentials(upsertions, deletions),
    describeUserScramCredentials: (users) => node.describeUserScramCredentials(users),
    alterClientQuotas: (alterations, validateOnly) => node.alterClientQuotas(alterations, validateOnly),
    describeClientQuotas: () => node.describeClientQuotas(),
    ...replaced,
  };
}

function service(node: FakeNode, admin: AdminApi = node): GroupService {
  return new GroupService({
    self: brokerId(1),
    image: () => node.image(),
    admin,
    coordinator: () => node.groups,
    // One partition, led by broker 1 (FakeNode places replicas from the lowest unfenced broker id).
    offsetsTopicPartitions: 1,
    offsetsTopicReplicationFactor: 3,
    requestTimeoutMs: 300,
    logger: pino({ level: 'silent' }),
  });
}

function offsetsReplicationFactor(node: FakeNode): number[] {
  const topic = topicByName(node.image(), OFFSETS_TOPIC);
  return topic === undefined
    ? []
    : [...topic.partitions.values()].map((partition) => partition.replicas.length);
}

describe('GroupService: creating __consumer_offsets', () => {
  it('is created on the first group request with offsets.topic.replication.factor replicas', async () => {
    const node = new FakeNode();
    expect(await service(node).describe('g')).toMatchObject({ groupId: 'g', state: 'Dead' });
    expect(offsetsReplicationFactor(node)).toEqual([3]);
  });

  it('with fewer alive brokers than the replication factor: COORDINATOR_NOT_AVAILABLE, no topic', async () => {
    const node = new FakeNode();
    node.applyRecords(fencing(node, 3, true));
    const error = await service(node)
      .describe('g')
      .then(
        () => null,
        (caught: unknown) => caught,
      );
    expect(error).toBeInstanceOf(KafkaError);
    expect((error as KafkaError).errorName).toBe('COORDINATOR_NOT_AVAILABLE');
    expect((error as KafkaError).message).toMatch(
      /Number of alive brokers '2' does not meet the required replication factor '3'/,
    );
    expect(topicByName(node.image(), OFFSETS_TOPIC)).toBeUndefined();
    expect(node.groups.calls).toEqual([]);
  });

  it('a request made while a broker is down succeeds once it is back (within its deadline)', async () => {
    const node = new FakeNode();
    node.applyRecords(fencing(node, 3, true));
    let catchUps = 0;
    const admin = adminOf(node, {
      // Broker 3 registers again between the first attempt and the second.
      catchUp: async (timeoutMs: number) => {
        catchUps += 1;
        if (catchUps === 2) node.commitElsewhere(fencing(node, 3, false));
        await node.catchUp(timeoutMs);
      },
    });
    expect(await service(node, admin).describe('g')).toMatchObject({ state: 'Dead' });
    expect(catchUps).toBeGreaterThanOrEqual(2);
    expect(offsetsReplicationFactor(node)).toEqual([3]);
  });

  it("the controller's INVALID_REPLICATION_FACTOR (a broker fenced meanwhile) is COORDINATOR_NOT_AVAILABLE", async () => {
    const node = new FakeNode();
    const admin = adminOf(node, {
      createTopic: async () => {
        throw new KafkaError('INVALID_REPLICATION_FACTOR', 'only 2 broker(s) are registered');
      },
    });
    await expectKafkaError(service(node, admin).describe('g'), 'COORDINATOR_NOT_AVAILABLE');
    expect(topicByName(node.image(), OFFSETS_TOPIC)).toBeUndefined();
  });
});

describe('GroupService: committed offsets behind a read barrier', () => {
  it('catches up with the controller before routing a fetch of committed offsets', async () => {
    const node = new FakeNode();
    await service(node).describe('g');
    let catchUps = 0;
    const counting = adminOf(node, {
      catchUp: (timeoutMs) => {
        catchUps++;
        return node.catchUp(timeoutMs);
      },
    });
    expect(await service(node, counting).fetchOffsets({ groupId: 'g', partitions: null })).toEqual([]);
    expect(catchUps).toBe(1);
  });

  it('a node that cannot catch up (cut off from the controller) answers COORDINATOR_NOT_AVAILABLE, not its cache', async () => {
    const node = new FakeNode();
    await service(node).describe('g');
    const cutOff = adminOf(node, {
      catchUp: () => Promise.reject(new KafkaError('REQUEST_TIMED_OUT', 'no read index')),
    });
    await expectKafkaError(
      service(node, cutOff).fetchOffsets({ groupId: 'g', partitions: null }),
      'COORDINATOR_NOT_AVAILABLE',
    );
  });
});
