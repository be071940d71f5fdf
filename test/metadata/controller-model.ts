// A naive controller for tests: turns an abstract operation (register a broker, create a topic, shrink
// an ISR, ...) with random choices into the records a controller would write against the current
// image, picking valid targets; [] when the operation has none. Used by log-generator.ts.

import { nodeId, term } from '../../raft/types.ts';
import type { BrokerId, PartitionId, TopicId } from '../../src/metadata/ids.ts';
import {
  NO_LEADER,
  brokerId,
  leaderEpoch,
  partitionEpoch,
  partitionId,
  topicId,
} from '../../src/metadata/ids.ts';
import type { MetadataImage, PartitionRegistration } from '../../src/metadata/image.ts';
import type { MetadataRecord } from '../../src/metadata/records.ts';
import { collidingTopic } from '../../src/metadata/topic-rules.ts';

export const OP_KINDS = [
  'register',
  'fence',
  'unfence',
  'shutdown',
  'unregister',
  'createTopic',
  'shrinkIsr',
  'expandIsr',
  'elect',
  'reassign',
  'topicConfig',
  'brokerConfig',
  'removeTopic',
  'producerIds',
  'noOp',
  'leaderChange',
  'createAcl',
  'removeAcl',
  'upsertScram',
  'removeScram',
  'setQuota',
  'removeQuota',
] as const;

export interface Op {
  readonly kind: (typeof OP_KINDS)[number];
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly flag: boolean;
  readonly uuid: string;
  /** Offsets skipped before this batch (Raft entries that carry no metadata batch). */
  readonly gap: number;
}

interface PartitionRef {
  readonly topicId: TopicId;
  readonly partitionId: PartitionId;
  readonly partition: PartitionRegistration;
}

function pick<T>(items: readonly T[], choice: number): T | undefined {
  return items.length === 0 ? undefined : items[choice % items.length];
}

function allPartitions(image: MetadataImage): PartitionRef[] {
  return [...image.topics.values()].flatMap((topic) =>
    [...topic.partitions].map(([id, partition]) => ({ topicId: topic.id, partitionId: id, partition })),
  );
}

function change(
  ref: PartitionRef,
  delta: Partial<Pick<MetadataRecord & { type: 'partitionChange' }, 'leader' | 'isr' | 'replicas'>>,
): MetadataRecord {
  return {
    type: 'partitionChange',
    topicId: ref.topicId,
    partitionId: ref.partitionId,
    leader: null,
    isr: null,
    replicas: null,
    ...delta,
  };
}

/** Partition changes that take `broker` out of every ISR, electing a new leader where it led. */
function removeFromIsrs(image: MetadataImage, broker: BrokerId): MetadataRecord[] {
  return allPartitions(image)
    .filter((ref) => ref.partition.isr.includes(broker))
    .map((ref) => {
      const isr = ref.partition.isr.filter((id) => id !== broker);
      if (ref.partition.leader !== broker) return change(ref, { isr });
      return change(ref, { isr, leader: isr[0] ?? NO_LEADER });
    });
}

function usableBrokers(image: MetadataImage): BrokerId[] {
  return [...image.brokers.values()].filter((b) => !b.fenced && !b.inControlledShutdown).map((b) => b.id);
}

function createTopic(image: MetadataImage, op: Op): MetadataRecord[] {
  const brokers = [...image.brokers.keys()].sort((x, y) => x - y);
  const name = op.flag ? `topic.${op.a % 7}` : `topic_${op.a % 7}`;
  if (brokers.length === 0 || image.topicIdsByName.has(name) || collidingTopic(image, name) !== null)
    return [];
  if (image.topics.has(topicId(op.uuid))) return [];
  const id = topicId(op.uuid);
  const replicationFactor = 1 + (op.c % Math.min(3, brokers.length));
  const records: MetadataRecord[] = [{ type: 'topic', name, topicId: id }];
  const unfenced = new Set(usableBrokers(image));
  for (let p = 0; p < 1 + (op.b % 4); p++) {
    const replicas = Array.from(
      { length: replicationFactor },
      (_, r) => brokers[(op.b + p + r) % brokers.length]!,
    );
    const isr = replicas.filter((r) => unfenced.has(r));
    records.push({
      type: 'partition',
      topicId: id,
      partitionId: partitionId(p),
      replicas,
      isr,
      leader: isr[0] ?? NO_LEADER,
      leaderEpoch: leaderEpoch(0),
      partitionEpoch: partitionEpoch(0),
    });
  }
  if (op.c % 2 === 0)
    records.push({
      type: 'config',
      resourceType: 'topic',
      resourceName: name,
      name: 'retention.ms',
      value: String(op.a * 1000),
    });
  return records;
}

const CONFIG_KEYS = ['retention.ms', 'cleanup.policy', 'min.insync.replicas'];
const USERS = ['alice', 'bob', 'carol'];
const ACL_OPERATIONS_USED = ['READ', 'WRITE', 'DESCRIBE', 'ALL'] as const;
const MECHANISMS = ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
const QUOTA_KEYS_USED = ['producer_byte_rate', 'consumer_byte_rate'] as const;

function bytesOf(seed: number, length: number): Buffer {
  return Buffer.from(Array.from({ length }, (_, i) => (seed * 31 + i * 7) % 256));
}

/** Records of the security ops: ACLs, SCRAM credentials and quotas, valid against `image`. */
function securityRecords(image: MetadataImage, op: Op): MetadataRecord[] {
  const security = image.security;
  switch (op.kind) {
    case 'createAcl':
      return [
        {
          type: 'accessControlEntry',
          id: op.uuid,
          resourceType: op.flag ? 'TOPIC' : 'GROUP',
          resourceName: op.c % 3 === 0 ? '*' : `name-${op.c % 5}`,
          patternType: op.c % 3 !== 0 && op.b % 2 === 0 ? 'PREFIXED' : 'LITERAL',
          principal: op.a % 4 === 3 ? 'User:*' : `User:${pick(USERS, op.a)}`,
          host: op.b % 3 === 0 ? '10.0.0.1' : '*',
          operation: ACL_OPERATIONS_USED[op.b % ACL_OPERATIONS_USED.length]!,
          permissionType: op.c % 4 === 0 ? 'DENY' : 'ALLOW',
        },
      ].filter((record) => !security.acls.has(record.id)) as MetadataRecord[];
    case 'removeAcl': {
      const acl = pick([...security.acls.keys()], op.a);
      return acl === undefined ? [] : [{ type: 'removeAccessControlEntry', id: acl }];
    }
    case 'upsertScram':
      return [
        {
          type: 'userScramCredential',
          name: pick(USERS, op.a)!,
          mechanism: MECHANISMS[op.b % 2]!,
          salt: bytesOf(op.c, 16),
          storedKey: bytesOf(op.c + 1, 32),
          serverKey: bytesOf(op.c + 2, 32),
          iterations: 4096 + op.b,
        },
      ];
    case 'removeScram': {
      const credentials = [...security.scramCredentials].flatMap(([name, mechanisms]) =>
        [...mechanisms.keys()].map((mechanism) => ({ name, mechanism })),
      );
      const credential = pick(credentials, op.a);
      return credential === undefined ? [] : [{ type: 'removeUserScramCredential', ...credential }];
    }
    case 'setQuota':
      return [
        {
          type: 'clientQuota',
          user: op.flag ? null : pick(USERS, op.a)!,
          key: QUOTA_KEYS_USED[op.b % 2]!,
          value: 1024 * (1 + op.c) + (op.c % 2 === 0 ? 0.5 : 0),
        },
      ];
    case 'removeQuota': {
      const quotas = [...security.clientQuotas].flatMap(([entity, keys]) =>
        [...keys.keys()].map((key) => ({ user: entity === '' ? null : entity, key })),
      );
      const quota = pick(quotas, op.a);
      return quota === undefined ? [] : [{ type: 'clientQuota', ...quota, value: null }];
    }
    default:
      return [];
  }
}

export function operationRecords(image: MetadataImage, op: Op): MetadataRecord[] {
  const brokers = [...image.brokers.values()];
  const partitions = allPartitions(image);
  const topics = [...image.topics.values()];
  switch (op.kind) {
    case 'register': {
      // A new incarnation has lost what it had not fsynced: out of every ISR (as Kafka, KIP-966).
      const id = brokerId(op.a % 6);
      return [
        ...(image.brokers.has(id) ? removeFromIsrs(image, id) : []),
        {
          type: 'registerBroker',
          brokerId: id,
          incarnationId: op.uuid,
          endpoints: [
            { name: 'INTERNAL', host: '127.0.0.1', port: 9000 + (op.a % 6), securityProtocol: 'PLAINTEXT' },
          ],
          rack: op.flag ? `rack-${op.b % 3}` : null,
          fenced: op.c % 4 !== 0,
          processRoles: op.flag ? ['broker', 'controller'] : ['broker'],
        },
      ];
    }
    case 'fence': {
      const broker = pick(
        brokers.filter((b) => !b.fenced),
        op.a,
      );
      if (broker === undefined) return [];
      return [
        {
          type: 'brokerRegistrationChange',
          brokerId: broker.id,
          brokerEpoch: broker.epoch,
          fenced: true,
          inControlledShutdown: null,
        },
        ...removeFromIsrs(image, broker.id),
      ];
    }
    case 'unfence': {
      const broker = pick(
        brokers.filter((b) => b.fenced),
        op.a,
      );
      if (broker === undefined) return [];
      return [
        {
          type: 'brokerRegistrationChange',
          brokerId: broker.id,
          brokerEpoch: broker.epoch,
          fenced: false,
          inControlledShutdown: op.flag ? false : null,
        },
      ];
    }
    case 'shutdown': {
      const broker = pick(
        brokers.filter((b) => !b.fenced && !b.inControlledShutdown),
        op.a,
      );
      if (broker === undefined) return [];
      return [
        {
          type: 'brokerRegistrationChange',
          brokerId: broker.id,
          brokerEpoch: broker.epoch,
          fenced: null,
          inControlledShutdown: true,
        },
        ...removeFromIsrs(image, broker.id),
      ];
    }
    case 'unregister': {
      const leaders = new Set(partitions.map((ref) => ref.partition.leader));
      const broker = pick(
        brokers.filter((b) => b.fenced && !leaders.has(b.id)),
        op.a,
      );
      if (broker === undefined) return [];
      return [{ type: 'unregisterBroker', brokerId: broker.id, brokerEpoch: broker.epoch }];
    }
    case 'createTopic':
      return createTopic(image, op);
    case 'shrinkIsr': {
      const ref = pick(
        partitions.filter((r) => r.partition.isr.length > 1),
        op.a,
      );
      if (ref === undefined) return [];
      const followers = ref.partition.isr.filter((id) => id !== ref.partition.leader);
      const out = followers[op.b % followers.length];
      return [change(ref, { isr: ref.partition.isr.filter((id) => id !== out) })];
    }
    case 'expandIsr': {
      const usable = new Set(usableBrokers(image));
      const ref = pick(
        partitions.filter((r) =>
          r.partition.replicas.some((id) => usable.has(id) && !r.partition.isr.includes(id)),
        ),
        op.a,
      );
      if (ref === undefined) return [];
      const joining = ref.partition.replicas.find((id) => usable.has(id) && !ref.partition.isr.includes(id))!;
      const isr = [...ref.partition.isr, joining];
      return [change(ref, ref.partition.leader === NO_LEADER ? { isr, leader: joining } : { isr })];
    }
    case 'elect': {
      const ref = pick(
        partitions.filter((r) => r.partition.isr.length > 0),
        op.a,
      );
      if (ref === undefined) return [];
      return [change(ref, { leader: ref.partition.isr[op.b % ref.partition.isr.length]! })];
    }
    case 'reassign': {
      const ref = pick(partitions, op.a);
      const extra = pick(
        brokers.filter((b) => ref !== undefined && !ref.partition.replicas.includes(b.id)),
        op.b,
      );
      if (ref === undefined) return [];
      const rotated = [...ref.partition.replicas.slice(1), ref.partition.replicas[0]!];
      return [change(ref, { replicas: extra === undefined ? rotated : [...rotated, extra.id] })];
    }
    case 'topicConfig': {
      const topic = pick(topics, op.a);
      if (topic === undefined) return [];
      return [
        {
          type: 'config',
          resourceType: 'topic',
          resourceName: topic.name,
          name: CONFIG_KEYS[op.b % 3]!,
          value: op.flag ? String(op.c) : null,
        },
      ];
    }
    case 'brokerConfig': {
      const name = pick(['', ...brokers.map((b) => String(b.id))], op.a)!;
      return [
        {
          type: 'config',
          resourceType: 'broker',
          resourceName: name,
          name: `log.${CONFIG_KEYS[op.b % 3]}`,
          value: op.flag ? String(op.c) : null,
        },
      ];
    }
    case 'removeTopic': {
      const topic = pick(topics, op.a);
      return topic === undefined ? [] : [{ type: 'removeTopic', topicId: topic.id }];
    }
    case 'producerIds': {
      const broker = pick(brokers, op.a);
      if (broker === undefined) return [];
      return [
        {
          type: 'producerIds',
          brokerId: broker.id,
          brokerEpoch: broker.epoch,
          nextProducerId: image.nextProducerId + 1000,
        },
      ];
    }
    case 'noOp':
      return [{ type: 'noOp' }];
    case 'leaderChange':
      return [
        {
          type: 'leaderChange',
          leaderId: nodeId(1 + (op.b % 3)),
          epoch: term((image.controllerLeader?.epoch ?? 0) + 1 + (op.a % 3)),
        },
      ];
    case 'createAcl':
    case 'removeAcl':
    case 'upsertScram':
    case 'removeScram':
    case 'setQuota':
    case 'removeQuota':
      return securityRecords(image, op);
  }
}
