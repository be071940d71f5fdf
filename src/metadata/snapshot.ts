// Snapshot of a MetadataImage (proto/metadata.proto MetadataSnapshot): the data of a Raft snapshot.
// decodeSnapshot(encodeSnapshot(image)) equals image, map order included. Decoding checks the image's
// invariants too (the bytes may come from a peer or a damaged disk): any failure is a
// MetadataCodecError.

import type {
  AclEntry,
  QuotaKey,
  ScramCredential,
  ScramMechanism,
  SecurityImage,
} from '../common/security.ts';
import { nodeId, term } from '../../raft/types.ts';
import type { BrokerId, PartitionId, TopicId } from './ids.ts';
import {
  brokerEpoch,
  brokerId,
  leaderEpoch,
  metadataOffset,
  partitionEpoch,
  partitionId,
  topicId,
} from './ids.ts';
import type {
  BrokerRegistration,
  ConfigResourceKey,
  ControllerLeader,
  MetadataImage,
  PartitionRegistration,
  TopicImage,
} from './image.ts';
import { configResourceKey, parseConfigResourceKey, partitionProblem } from './image.ts';
import { endpointFromWire, resourceTypeFromWire, resourceTypeToWire } from './records.ts';
import { aclBindingProblem } from './acl-rules.ts';
import { quotaEntityKey } from './security-reducer.ts';
import {
  aclEntryFromWire,
  aclEntryToWire,
  clientQuotaFromWire,
  clientQuotaToWire,
  scramCredentialFromWire,
  scramCredentialToWire,
} from './security-wire.ts';
import type { Fields } from './wire.ts';
import { Reader, lookupType, parseWire } from './wire.ts';

const snapshotType = lookupType('MetadataSnapshot');

// ---------------------------------------------------------------------------------------------------
// Encoding

function brokerToWire(broker: BrokerRegistration): Record<string, unknown> {
  const { id, rack, ...rest } = broker;
  return { brokerId: id, ...rest, rack: rack ?? undefined };
}

function topicToWire(topic: TopicImage): Record<string, unknown> {
  const partitions = [...topic.partitions].map(([id, partition]) => ({ partitionId: id, ...partition }));
  return { topicId: topic.id, name: topic.name, partitions };
}

function configsToWire(
  key: ConfigResourceKey,
  entries: ReadonlyMap<string, string>,
): Record<string, unknown> {
  const { resourceType, resourceName } = parseConfigResourceKey(key);
  return {
    resourceType: resourceTypeToWire(resourceType),
    resourceName,
    entries: [...entries].map(([name, value]) => ({ name, value })),
  };
}

function securityToWire(security: SecurityImage): Record<string, unknown> {
  return {
    acls: [...security.acls.values()].map(aclEntryToWire),
    scramCredentials: [...security.scramCredentials].flatMap(([name, mechanisms]) =>
      [...mechanisms.values()].map((credential) => scramCredentialToWire(name, credential)),
    ),
    clientQuotas: [...security.clientQuotas].flatMap(([entity, quotas]) =>
      [...quotas].map(([key, value]) => clientQuotaToWire(entity === '' ? null : entity, key, value)),
    ),
  };
}

export function encodeSnapshot(image: MetadataImage): Uint8Array {
  const leader = image.controllerLeader;
  const wire = {
    offset: image.offset,
    brokers: [...image.brokers.values()].map(brokerToWire),
    topics: [...image.topics.values()].map(topicToWire),
    configs: [...image.configs].map(([key, entries]) => configsToWire(key, entries)),
    nextProducerId: image.nextProducerId,
    controllerLeader: leader === null ? undefined : { leaderId: leader.id, epoch: leader.epoch },
    ...securityToWire(image.security),
  };
  return snapshotType.encode(wire).finish();
}

// ---------------------------------------------------------------------------------------------------
// Decoding

const read: Reader = new Reader('snapshot');

function brokerFromWire(value: unknown, where: string): BrokerRegistration {
  const fields = read.fields(value, where);
  return {
    id: brokerId(read.int32(fields, 'brokerId', where)),
    incarnationId: read.uuid(fields, 'incarnationId', where),
    epoch: brokerEpoch(read.positive(fields, 'epoch', where)),
    endpoints: read
      .array(fields, 'endpoints', where)
      .map((e, i) => endpointFromWire(e, `${where}.endpoints[${i}]`, read)),
    rack: read.optionalString(fields, 'rack', where),
    fenced: read.boolean(fields, 'fenced', where),
    inControlledShutdown: read.boolean(fields, 'inControlledShutdown', where),
    processRoles: read.strings(fields, 'processRoles', where),
  };
}

function partitionFromWire(
  value: unknown,
  index: number,
  where: string,
): [PartitionId, PartitionRegistration] {
  const fields = read.fields(value, where);
  const id = partitionId(read.int32(fields, 'partitionId', where));
  if (id !== index) read.fail(`${where}.partitionId is ${id}, not ${index}`);
  const partition: PartitionRegistration = {
    replicas: read.brokerIds(fields, 'replicas', where),
    isr: read.brokerIds(fields, 'isr', where),
    leader: read.leader(fields, 'leader', where),
    leaderEpoch: leaderEpoch(read.int32(fields, 'leaderEpoch', where)),
    partitionEpoch: partitionEpoch(read.int32(fields, 'partitionEpoch', where)),
  };
  const problem = partitionProblem(partition);
  if (problem !== null) read.fail(`${where}: ${problem}`);
  return [id, partition];
}

function topicFromWire(value: unknown, where: string): TopicImage {
  const fields = read.fields(value, where);
  const name = read.string(fields, 'name', where);
  if (name.length === 0) read.fail(`${where}.name is empty`);
  const partitions = read
    .array(fields, 'partitions', where)
    .map((partition, i) => partitionFromWire(partition, i, `${where}.partitions[${i}]`));
  return { id: topicId(read.uuid(fields, 'topicId', where)), name, partitions: new Map(partitions) };
}

function configsFromWire(value: unknown, where: string): [ConfigResourceKey, ReadonlyMap<string, string>] {
  const fields = read.fields(value, where);
  const resourceType = resourceTypeFromWire(fields, where, read);
  const key = configResourceKey(resourceType, read.string(fields, 'resourceName', where));
  const entries = new Map<string, string>();
  read.array(fields, 'entries', where).forEach((entry, i) => {
    const at = `${where}.entries[${i}]`;
    const entryFields = read.fields(entry, at);
    const name = read.string(entryFields, 'name', at);
    if (name.length === 0 || entries.has(name)) read.fail(`${at}.name is empty or repeated`);
    entries.set(name, read.string(entryFields, 'value', at));
  });
  if (entries.size === 0) read.fail(`${where} has no entries`);
  return [key, entries];
}

function controllerLeaderFromWire(value: unknown): ControllerLeader | null {
  if (value == null) return null;
  const fields: Fields = read.fields(value, 'snapshot.controllerLeader');
  return {
    id: nodeId(read.positive(fields, 'leaderId', 'snapshot.controllerLeader')),
    epoch: term(read.safeInteger(fields, 'epoch', 'snapshot.controllerLeader')),
  };
}

/** Builds a map from entries, failing on a repeated key. */
function uniqueMap<K, V>(entries: readonly (readonly [K, V])[], what: string): Map<K, V> {
  const map = new Map(entries);
  if (map.size !== entries.length) read.fail(`repeated ${what}`);
  return map;
}

function securityFromWire(fields: Fields): SecurityImage {
  const acls = uniqueMap<string, AclEntry>(
    read.array(fields, 'acls', 'snapshot').map((value, i) => {
      const where = `snapshot.acls[${i}]`;
      const entry = aclEntryFromWire(read.fields(value, where), where, read);
      const problem = aclBindingProblem(entry);
      if (problem !== null) read.fail(`${where}: ${problem}`);
      return [entry.id, entry];
    }),
    'ACL id',
  );
  const scramCredentials = new Map<string, Map<ScramMechanism, ScramCredential>>();
  read.array(fields, 'scramCredentials', 'snapshot').forEach((value, i) => {
    const where = `snapshot.scramCredentials[${i}]`;
    const { name, credential } = scramCredentialFromWire(read.fields(value, where), where, read);
    if (name.length === 0 || credential.iterations === 0) read.fail(`${where} has no user or no iterations`);
    const mechanisms = scramCredentials.get(name) ?? new Map<ScramMechanism, ScramCredential>();
    if (mechanisms.has(credential.mechanism)) read.fail(`${where} repeats ${name}'s ${credential.mechanism}`);
    scramCredentials.set(name, mechanisms.set(credential.mechanism, credential));
  });
  const clientQuotas = new Map<string, Map<QuotaKey, number>>();
  read.array(fields, 'clientQuotas', 'snapshot').forEach((value, i) => {
    const where = `snapshot.clientQuotas[${i}]`;
    const quota = clientQuotaFromWire(read.fields(value, where), where, read);
    if (quota.value === null || quota.value <= 0 || quota.user === '')
      read.fail(`${where} is a removal, not positive, or of an empty user name`);
    const entity = quotaEntityKey(quota.user);
    const quotas = clientQuotas.get(entity) ?? new Map<QuotaKey, number>();
    if (quotas.has(quota.key)) read.fail(`${where} repeats ${quota.key} of ${JSON.stringify(entity)}`);
    clientQuotas.set(entity, quotas.set(quota.key, quota.value));
  });
  return { acls, scramCredentials, clientQuotas };
}

export function decodeSnapshot(bytes: Uint8Array): MetadataImage {
  const fields = parseWire(snapshotType, bytes, 'snapshot');
  const brokers = uniqueMap<BrokerId, BrokerRegistration>(
    read
      .array(fields, 'brokers', 'snapshot')
      .map((b, i) => brokerFromWire(b, `snapshot.brokers[${i}]`))
      .map((b) => [b.id, b]),
    'broker id',
  );
  const topicList = read
    .array(fields, 'topics', 'snapshot')
    .map((t, i) => topicFromWire(t, `snapshot.topics[${i}]`));
  const topics = uniqueMap<TopicId, TopicImage>(
    topicList.map((t) => [t.id, t]),
    'topic id',
  );
  const topicIdsByName = uniqueMap<string, TopicId>(
    topicList.map((t) => [t.name, t.id]),
    'topic name',
  );
  const configs = uniqueMap(
    read.array(fields, 'configs', 'snapshot').map((c, i) => configsFromWire(c, `snapshot.configs[${i}]`)),
    'config resource',
  );
  for (const key of configs.keys()) {
    const { resourceType, resourceName } = parseConfigResourceKey(key);
    if (resourceType === 'topic' && !topicIdsByName.has(resourceName))
      read.fail(`configs of unknown topic ${key}`);
  }
  return {
    offset: metadataOffset(read.safeInteger(fields, 'offset', 'snapshot')),
    brokers,
    topics,
    topicIdsByName,
    configs,
    nextProducerId: read.safeInteger(fields, 'nextProducerId', 'snapshot'),
    controllerLeader: controllerLeaderFromWire(fields.controllerLeader),
    security: securityFromWire(fields),
  };
}
