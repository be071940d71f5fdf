// fast-check arbitraries of every metadata record type: well-formed for the codec, not necessarily
// valid for the reducer (valid logs come from log-generator.ts).

import fc from 'fast-check';
import { nodeId, term } from '../../raft/types.ts';
import {
  INT32_MAX,
  NO_LEADER,
  brokerEpoch,
  brokerId,
  leaderEpoch,
  partitionEpoch,
  partitionId,
  topicId,
} from '../../src/metadata/ids.ts';
import type { BrokerId } from '../../src/metadata/ids.ts';
import type { Endpoint, MetadataRecord } from '../../src/metadata/records.ts';

// Small values are the common case; the bounds are the edges the codec must keep.
const int32 = fc.oneof(fc.nat({ max: 100 }), fc.constant(INT32_MAX), fc.nat({ max: INT32_MAX }));
const safeNat = fc.oneof(fc.nat({ max: 1000 }), fc.maxSafeNat(), fc.constant(Number.MAX_SAFE_INTEGER));
const text = fc.string({ unit: 'grapheme', maxLength: 12 });

const nullable = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.option(arb, { nil: null });

export const brokerIdArb: fc.Arbitrary<BrokerId> = int32.map(brokerId);
const leaderArb = fc.oneof(fc.constant(NO_LEADER), brokerIdArb);
const brokerIdsArb = fc.array(brokerIdArb, { maxLength: 5 });
const topicIdArb = fc.uuid().map(topicId);
const brokerEpochArb = safeNat.map(brokerEpoch);

const endpointArb: fc.Arbitrary<Endpoint> = fc.record({
  name: fc.constantFrom('INTERNAL', 'CLIENT'),
  host: fc.oneof(fc.constant('127.0.0.1'), fc.domain()),
  port: fc.integer({ min: 0, max: 65535 }),
  securityProtocol: fc.constantFrom('PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'),
});

const recordArbs: fc.Arbitrary<MetadataRecord>[] = [
  fc.record({
    type: fc.constant('registerBroker' as const),
    brokerId: brokerIdArb,
    incarnationId: fc.uuid(),
    endpoints: fc.array(endpointArb, { maxLength: 3 }),
    rack: nullable(text),
    fenced: fc.boolean(),
    processRoles: fc.subarray(['broker', 'controller']),
  }),
  fc.record({
    type: fc.constant('brokerRegistrationChange' as const),
    brokerId: brokerIdArb,
    brokerEpoch: brokerEpochArb,
    fenced: nullable(fc.boolean()),
    inControlledShutdown: nullable(fc.boolean()),
  }),
  fc.record({
    type: fc.constant('unregisterBroker' as const),
    brokerId: brokerIdArb,
    brokerEpoch: brokerEpochArb,
  }),
  fc.record({ type: fc.constant('topic' as const), name: text, topicId: topicIdArb }),
  fc.record({
    type: fc.constant('partition' as const),
    topicId: topicIdArb,
    partitionId: int32.map(partitionId),
    replicas: brokerIdsArb,
    isr: brokerIdsArb,
    leader: leaderArb,
    leaderEpoch: int32.map(leaderEpoch),
    partitionEpoch: int32.map(partitionEpoch),
  }),
  fc.record({
    type: fc.constant('partitionChange' as const),
    topicId: topicIdArb,
    partitionId: int32.map(partitionId),
    leader: nullable(leaderArb),
    isr: nullable(brokerIdsArb),
    replicas: nullable(brokerIdsArb),
  }),
  fc.record({ type: fc.constant('removeTopic' as const), topicId: topicIdArb }),
  fc.record({
    type: fc.constant('config' as const),
    resourceType: fc.constantFrom('topic' as const, 'broker' as const),
    resourceName: text,
    name: text,
    value: nullable(text),
  }),
  fc.record({
    type: fc.constant('producerIds' as const),
    brokerId: brokerIdArb,
    brokerEpoch: brokerEpochArb,
    nextProducerId: safeNat,
  }),
  fc.record({ type: fc.constant('noOp' as const) }),
  fc.record({
    type: fc.constant('leaderChange' as const),
    leaderId: fc.integer({ min: 1, max: 0xffff_ffff }).map(nodeId),
    epoch: safeNat.map(term),
  }),
];

// Security records (issue 10): the codec keeps every concrete code, any bytes and any finite quota.
const aclFields = {
  id: fc.uuid(),
  resourceType: fc.constantFrom(
    'TOPIC' as const,
    'GROUP' as const,
    'CLUSTER' as const,
    'TRANSACTIONAL_ID' as const,
    'DELEGATION_TOKEN' as const,
    'USER' as const,
  ),
  resourceName: text,
  patternType: fc.constantFrom('LITERAL' as const, 'PREFIXED' as const),
  principal: fc.oneof(
    fc.constant('User:*'),
    text.map((name) => `User:${name}`),
  ),
  host: fc.constantFrom('*', '10.0.0.1', '::1'),
  operation: fc.constantFrom(
    'ALL' as const,
    'READ' as const,
    'WRITE' as const,
    'CREATE' as const,
    'DELETE' as const,
    'ALTER' as const,
    'DESCRIBE' as const,
    'CLUSTER_ACTION' as const,
    'DESCRIBE_CONFIGS' as const,
    'ALTER_CONFIGS' as const,
    'IDEMPOTENT_WRITE' as const,
    'CREATE_TOKENS' as const,
    'DESCRIBE_TOKENS' as const,
  ),
  permissionType: fc.constantFrom('ALLOW' as const, 'DENY' as const),
};
const mechanismArb = fc.constantFrom('SCRAM-SHA-256' as const, 'SCRAM-SHA-512' as const);
const bytesArb = fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes));
const quotaValueArb = fc.oneof(fc.nat(), fc.double({ min: 1, max: 1e15, noNaN: true }));

recordArbs.push(
  fc.record({ type: fc.constant('accessControlEntry' as const), ...aclFields }),
  fc.record({ type: fc.constant('removeAccessControlEntry' as const), id: fc.uuid() }),
  fc.record({
    type: fc.constant('userScramCredential' as const),
    name: text,
    mechanism: mechanismArb,
    salt: bytesArb,
    storedKey: bytesArb,
    serverKey: bytesArb,
    iterations: int32,
  }),
  fc.record({ type: fc.constant('removeUserScramCredential' as const), name: text, mechanism: mechanismArb }),
  fc.record({
    type: fc.constant('clientQuota' as const),
    user: nullable(text),
    key: fc.constantFrom('producer_byte_rate' as const, 'consumer_byte_rate' as const),
    value: nullable(quotaValueArb),
  }),
);

export const recordArb: fc.Arbitrary<MetadataRecord> = fc.oneof(...recordArbs);

/** One arbitrary per record type, so that a test can require each type to round-trip. */
export const recordArbsByType: readonly fc.Arbitrary<MetadataRecord>[] = recordArbs;
