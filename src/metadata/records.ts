// The metadata records (proto/metadata.proto) as a TypeScript discriminated union, and the codec of a
// RecordBatch: the payload of one Raft entry. Absent optional fields are null, never undefined, so that
// a decoded record equals the encoded one.

import type { NodeId, Term } from '../../raft/types.ts';
import { nodeId, term } from '../../raft/types.ts';
import type { BrokerEpoch, BrokerId, LeaderEpoch, PartitionEpoch, PartitionId, TopicId } from './ids.ts';
import { brokerEpoch, brokerId, leaderEpoch, partitionEpoch, partitionId, topicId } from './ids.ts';
import { SCRAM_MECHANISMS } from '../common/security.ts';
import type { AclEntry, QuotaKey, QuotaUser, ScramCredential, ScramMechanism } from '../common/security.ts';
import {
  aclEntryFromWire,
  aclEntryToWire,
  clientQuotaFromWire,
  clientQuotaToWire,
  mechanismFromWire,
  scramCredentialFromWire,
  scramCredentialToWire,
} from './security-wire.ts';
import type { Fields } from './wire.ts';
import { Reader, lookupType, parseWire } from './wire.ts';

export interface Endpoint {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly securityProtocol: string;
}

/** Kafka's ConfigResource types that carry dynamic configs here. */
export type ConfigResourceType = 'topic' | 'broker';

export interface RegisterBrokerRecord {
  readonly type: 'registerBroker';
  readonly brokerId: BrokerId;
  readonly incarnationId: string;
  readonly endpoints: readonly Endpoint[];
  readonly rack: string | null;
  readonly fenced: boolean;
  readonly processRoles: readonly string[];
}

export interface BrokerRegistrationChangeRecord {
  readonly type: 'brokerRegistrationChange';
  readonly brokerId: BrokerId;
  readonly brokerEpoch: BrokerEpoch;
  /** true = fence, false = unfence, null = unchanged. */
  readonly fenced: boolean | null;
  readonly inControlledShutdown: boolean | null;
}

export interface UnregisterBrokerRecord {
  readonly type: 'unregisterBroker';
  readonly brokerId: BrokerId;
  readonly brokerEpoch: BrokerEpoch;
}

export interface TopicRecord {
  readonly type: 'topic';
  readonly name: string;
  readonly topicId: TopicId;
}

export interface PartitionRecord {
  readonly type: 'partition';
  readonly topicId: TopicId;
  readonly partitionId: PartitionId;
  readonly replicas: readonly BrokerId[];
  readonly isr: readonly BrokerId[];
  /** NO_LEADER (-1) when none. */
  readonly leader: BrokerId;
  readonly leaderEpoch: LeaderEpoch;
  readonly partitionEpoch: PartitionEpoch;
}

/** A delta: null = unchanged. */
export interface PartitionChangeRecord {
  readonly type: 'partitionChange';
  readonly topicId: TopicId;
  readonly partitionId: PartitionId;
  readonly leader: BrokerId | null;
  readonly isr: readonly BrokerId[] | null;
  readonly replicas: readonly BrokerId[] | null;
}

export interface RemoveTopicRecord {
  readonly type: 'removeTopic';
  readonly topicId: TopicId;
}

export interface ConfigRecord {
  readonly type: 'config';
  readonly resourceType: ConfigResourceType;
  /** A topic name; a broker id in decimal, or '' for the cluster-wide broker default. */
  readonly resourceName: string;
  readonly name: string;
  /** null = delete the key. */
  readonly value: string | null;
}

export interface ProducerIdsRecord {
  readonly type: 'producerIds';
  readonly brokerId: BrokerId;
  readonly brokerEpoch: BrokerEpoch;
  readonly nextProducerId: number;
}

export interface NoOpRecord {
  readonly type: 'noOp';
}

export interface LeaderChangeRecord {
  readonly type: 'leaderChange';
  readonly leaderId: NodeId;
  readonly epoch: Term;
}

/** One ACL (Kafka's AccessControlEntryRecord). */
export interface AccessControlEntryRecord extends AclEntry {
  readonly type: 'accessControlEntry';
}

export interface RemoveAccessControlEntryRecord {
  readonly type: 'removeAccessControlEntry';
  readonly id: string;
}

/** A user's credential for one mechanism: added, or replacing the previous one. */
export interface UserScramCredentialRecord extends ScramCredential {
  readonly type: 'userScramCredential';
  readonly name: string;
}

export interface RemoveUserScramCredentialRecord {
  readonly type: 'removeUserScramCredential';
  readonly name: string;
  readonly mechanism: ScramMechanism;
}

/** One quota of a user (null = the default entity). */
export interface ClientQuotaRecord {
  readonly type: 'clientQuota';
  readonly user: QuotaUser;
  readonly key: QuotaKey;
  /** Bytes per second; null = remove the key. */
  readonly value: number | null;
}

export type MetadataRecord =
  | RegisterBrokerRecord
  | BrokerRegistrationChangeRecord
  | UnregisterBrokerRecord
  | TopicRecord
  | PartitionRecord
  | PartitionChangeRecord
  | RemoveTopicRecord
  | ConfigRecord
  | ProducerIdsRecord
  | NoOpRecord
  | LeaderChangeRecord
  | AccessControlEntryRecord
  | RemoveAccessControlEntryRecord
  | UserScramCredentialRecord
  | RemoveUserScramCredentialRecord
  | ClientQuotaRecord;

export type MetadataRecordType = MetadataRecord['type'];

const batchType = lookupType('RecordBatch');

// ---------------------------------------------------------------------------------------------------
// Encoding: the oneof member is named after the TypeScript discriminant; the body is the record
// without `type`, with nulls dropped (absent) and the wrapped lists wrapped.

const RESOURCE_TYPE_WIRE: Readonly<Record<ConfigResourceType, number>> = { topic: 2, broker: 4 };

export function resourceTypeToWire(resourceType: ConfigResourceType): number {
  return RESOURCE_TYPE_WIRE[resourceType];
}

function bodyToWire(record: MetadataRecord): Record<string, unknown> {
  switch (record.type) {
    case 'accessControlEntry':
      return aclEntryToWire(record);
    case 'userScramCredential': {
      const { type: _type, name, ...credential } = record;
      return scramCredentialToWire(name, credential);
    }
    case 'removeUserScramCredential':
      return { name: record.name, mechanism: SCRAM_MECHANISMS[record.mechanism] };
    case 'clientQuota':
      return clientQuotaToWire(record.user, record.key, record.value);
    default:
      break;
  }
  const { type: _type, ...body } = record;
  const wire: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (value !== null) wire[key] = value;
  }
  if (record.type === 'partitionChange') {
    wire.isr = record.isr === null ? undefined : { brokerIds: record.isr };
    wire.replicas = record.replicas === null ? undefined : { brokerIds: record.replicas };
  }
  if (record.type === 'config') wire.resourceType = resourceTypeToWire(record.resourceType);
  return wire;
}

export function encodeRecordBatch(records: readonly MetadataRecord[]): Uint8Array {
  const wire = { records: records.map((record) => ({ [record.type]: bodyToWire(record) })) };
  return batchType.encode(wire).finish();
}

// ---------------------------------------------------------------------------------------------------
// Decoding

const read: Reader = new Reader('record batch');

export function endpointFromWire(value: unknown, where: string, reader: Reader): Endpoint {
  const fields = reader.fields(value, where);
  const port = reader.safeInteger(fields, 'port', where);
  if (port > 0xffff) reader.fail(`${where}.port is above 65535`);
  return {
    name: reader.string(fields, 'name', where),
    host: reader.string(fields, 'host', where),
    port,
    securityProtocol: reader.string(fields, 'securityProtocol', where),
  };
}

export function resourceTypeFromWire(fields: Fields, where: string, reader: Reader): ConfigResourceType {
  const value = fields.resourceType;
  if (value === RESOURCE_TYPE_WIRE.topic) return 'topic';
  if (value === RESOURCE_TYPE_WIRE.broker) return 'broker';
  return reader.fail(`${where}.resourceType is not TOPIC or BROKER`);
}

function optionalList(fields: Fields, name: string, where: string): BrokerId[] | null {
  if (fields[name] == null) return null;
  return read.brokerIds(read.fields(fields[name], `${where}.${name}`), 'brokerIds', `${where}.${name}`);
}

const recordTypes: ReadonlySet<string> = new Set<MetadataRecordType>([
  'registerBroker',
  'brokerRegistrationChange',
  'unregisterBroker',
  'topic',
  'partition',
  'partitionChange',
  'removeTopic',
  'config',
  'producerIds',
  'noOp',
  'leaderChange',
  'accessControlEntry',
  'removeAccessControlEntry',
  'userScramCredential',
  'removeUserScramCredential',
  'clientQuota',
]);

function isRecordType(value: unknown): value is MetadataRecordType {
  return typeof value === 'string' && recordTypes.has(value);
}

function recordFromWire(value: unknown, where: string): MetadataRecord {
  const fields = read.fields(value, where);
  const type = fields.record;
  if (!isRecordType(type)) read.fail(`${where} has no known record`);
  const at = `${where}.${type}`;
  const body = read.fields(fields[type], at);
  const broker = () => brokerId(read.int32(body, 'brokerId', at));
  const epoch = () => brokerEpoch(read.safeInteger(body, 'brokerEpoch', at));
  const topic = () => topicId(read.uuid(body, 'topicId', at));
  const partition = () => partitionId(read.int32(body, 'partitionId', at));
  switch (type) {
    case 'registerBroker':
      return {
        type,
        brokerId: broker(),
        incarnationId: read.uuid(body, 'incarnationId', at),
        endpoints: read
          .array(body, 'endpoints', at)
          .map((e, i) => endpointFromWire(e, `${at}.endpoints[${i}]`, read)),
        rack: read.optionalString(body, 'rack', at),
        fenced: read.boolean(body, 'fenced', at),
        processRoles: read.strings(body, 'processRoles', at),
      };
    case 'brokerRegistrationChange':
      return {
        type,
        brokerId: broker(),
        brokerEpoch: epoch(),
        fenced: read.optionalBoolean(body, 'fenced', at),
        inControlledShutdown: read.optionalBoolean(body, 'inControlledShutdown', at),
      };
    case 'unregisterBroker':
      return { type, brokerId: broker(), brokerEpoch: epoch() };
    case 'topic':
      return { type, name: read.string(body, 'name', at), topicId: topic() };
    case 'partition':
      return {
        type,
        topicId: topic(),
        partitionId: partition(),
        replicas: read.brokerIds(body, 'replicas', at),
        isr: read.brokerIds(body, 'isr', at),
        leader: read.leader(body, 'leader', at),
        leaderEpoch: leaderEpoch(read.int32(body, 'leaderEpoch', at)),
        partitionEpoch: partitionEpoch(read.int32(body, 'partitionEpoch', at)),
      };
    case 'partitionChange':
      return {
        type,
        topicId: topic(),
        partitionId: partition(),
        leader: body.leader == null ? null : read.leader(body, 'leader', at),
        isr: optionalList(body, 'isr', at),
        replicas: optionalList(body, 'replicas', at),
      };
    case 'removeTopic':
      return { type, topicId: topic() };
    case 'config':
      return {
        type,
        resourceType: resourceTypeFromWire(body, at, read),
        resourceName: read.string(body, 'resourceName', at),
        name: read.string(body, 'name', at),
        value: read.optionalString(body, 'value', at),
      };
    case 'producerIds':
      return {
        type,
        brokerId: broker(),
        brokerEpoch: epoch(),
        nextProducerId: read.safeInteger(body, 'nextProducerId', at),
      };
    case 'noOp':
      return { type };
    case 'leaderChange':
      return {
        type,
        leaderId: nodeId(read.positive(body, 'leaderId', at)),
        epoch: term(read.safeInteger(body, 'epoch', at)),
      };
    case 'accessControlEntry':
      return { type, ...aclEntryFromWire(body, at, read) };
    case 'removeAccessControlEntry':
      return { type, id: read.uuid(body, 'id', at) };
    case 'userScramCredential': {
      const { name, credential } = scramCredentialFromWire(body, at, read);
      return { type, name, ...credential };
    }
    case 'removeUserScramCredential':
      return { type, name: read.string(body, 'name', at), mechanism: mechanismFromWire(body, at, read) };
    case 'clientQuota':
      return { type, ...clientQuotaFromWire(body, at, read) };
    default: {
      const unknown: never = type;
      return read.fail(`${where} has unknown record ${String(unknown)}`);
    }
  }
}

/** Decodes one Raft entry's payload. Throws MetadataCodecError on bytes that are not a RecordBatch. */
export function decodeRecordBatch(bytes: Uint8Array): MetadataRecord[] {
  const fields = parseWire(batchType, bytes, 'record batch');
  return read
    .array(fields, 'records', 'batch')
    .map((record, i) => recordFromWire(record, `batch.records[${i}]`));
}
