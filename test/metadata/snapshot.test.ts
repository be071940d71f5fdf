import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MetadataImage } from '../../src/metadata/image.ts';
import { emptyImage } from '../../src/metadata/image.ts';
import { imagesEqual } from '../../src/metadata/queries.ts';
import { decodeRecordBatch, encodeRecordBatch } from '../../src/metadata/records.ts';
import { decodeSnapshot, encodeSnapshot } from '../../src/metadata/snapshot.ts';
import { MetadataCodecError, lookupType } from '../../src/metadata/wire.ts';
import type { LogBatch } from './log-generator.ts';
import { applyLog, buildLog, opsArb } from './log-generator.ts';

function keyOrder(image: MetadataImage): unknown[] {
  return [
    [...image.brokers.keys()],
    [...image.topics.values()].map((topic) => [topic.id, [...topic.partitions.keys()]]),
    [...image.topicIdsByName.keys()],
    [...image.configs].map(([key, entries]) => [key, [...entries.keys()]]),
    [...image.security.acls.keys()],
    [...image.security.scramCredentials].map(([name, mechanisms]) => [name, [...mechanisms.keys()]]),
    [...image.security.clientQuotas].map(([entity, quotas]) => [entity, [...quotas.keys()]]),
  ];
}

/** The log as another node reads it: every batch through the codec. */
function throughCodec(log: readonly LogBatch[]): LogBatch[] {
  return log.map((batch) => ({
    offset: batch.offset,
    records: decodeRecordBatch(encodeRecordBatch(batch.records)),
  }));
}

describe('metadata snapshot', () => {
  it('round-trips the empty image', () => {
    expect(imagesEqual(decodeSnapshot(encodeSnapshot(emptyImage())), emptyImage())).toBe(true);
  });

  it('round-trips every reachable image exactly, map order included', () => {
    fc.assert(
      fc.property(opsArb, (ops) => {
        const { image } = buildLog(ops);
        const restored = decodeSnapshot(encodeSnapshot(image));
        expect(imagesEqual(restored, image)).toBe(true);
        expect(keyOrder(restored)).toEqual(keyOrder(image));
      }),
    );
  });

  it('restoring a snapshot at any offset and replaying the rest gives the same image', () => {
    fc.assert(
      fc.property(opsArb, (ops) => {
        const { log, image } = buildLog(ops);
        for (let k = 0; k <= log.length; k++) {
          const snapshot = encodeSnapshot(applyLog(emptyImage(), log.slice(0, k)));
          const restored = applyLog(decodeSnapshot(snapshot), throughCodec(log.slice(k)));
          expect(imagesEqual(restored, image)).toBe(true);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('generates logs that exercise the reducer', () => {
    // Guards the generator: most runs reach topics and configs, and every record type shows up.
    const runs = fc.sample(opsArb, { numRuns: 100, seed: 42 }).map((ops) => buildLog(ops));
    expect(runs.filter(({ image }) => image.topics.size > 0).length).toBeGreaterThan(60);
    expect(runs.filter(({ image }) => image.configs.size > 0).length).toBeGreaterThan(40);
    const types = new Set(
      runs.flatMap(({ log }) => log.flatMap((batch) => batch.records.map((r) => r.type))),
    );
    expect(runs.filter(({ image }) => image.security.acls.size > 0).length).toBeGreaterThan(20);
    expect(runs.filter(({ image }) => image.security.scramCredentials.size > 0).length).toBeGreaterThan(20);
    expect(runs.filter(({ image }) => image.security.clientQuotas.size > 0).length).toBeGreaterThan(20);
    expect([...types].sort()).toEqual([
      'accessControlEntry',
      'brokerRegistrationChange',
      'clientQuota',
      'config',
      'leaderChange',
      'noOp',
      'partition',
      'partitionChange',
      'producerIds',
      'registerBroker',
      'removeAccessControlEntry',
      'removeTopic',
      'removeUserScramCredential',
      'topic',
      'unregisterBroker',
      'userScramCredential',
    ]);
  });

  it('throws only MetadataCodecError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          decodeSnapshot(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(MetadataCodecError);
        }
      }),
    );
  });

  it('rejects a snapshot that breaks the image invariants', () => {
    const type = lookupType('MetadataSnapshot');
    const decode = (wire: Record<string, unknown>) => () => decodeSnapshot(type.encode(wire).finish());
    const topicId = '6f1c1f4e-8a55-4d7e-9f0e-0d2b8c3a1b2c';
    const partition = { partitionId: 0, replicas: [1, 2], isr: [1], leader: 1 };
    const topic = { topicId, name: 't', partitions: [partition] };
    expect(decode({ topics: [topic] })).not.toThrow();
    expect(decode({ topics: [{ ...topic, partitions: [{ ...partition, leader: 2 }] }] })).toThrow(
      /leader is neither in isr/,
    );
    expect(decode({ topics: [{ ...topic, partitions: [{ ...partition, partitionId: 1 }] }] })).toThrow(
      /partitionId is 1, not 0/,
    );
    expect(
      decode({ topics: [topic, { ...topic, topicId: '7f1c1f4e-8a55-4d7e-9f0e-0d2b8c3a1b2c' }] }),
    ).toThrow(/repeated topic name/);
    expect(
      decode({
        topics: [topic],
        configs: [{ resourceType: 2, resourceName: 'u', entries: [{ name: 'a', value: '1' }] }],
      }),
    ).toThrow(/unknown topic/);
    expect(decode({ configs: [{ resourceType: 4, resourceName: '', entries: [] }] })).toThrow(/no entries/);
  });

  it('rejects security entries that break the image invariants', () => {
    const type = lookupType('MetadataSnapshot');
    const decode = (wire: Record<string, unknown>) => () => decodeSnapshot(type.encode(wire).finish());
    const acl = {
      id: '6f1c1f4e-8a55-4d7e-9f0e-0d2b8c3a1b2c',
      resourceType: 2,
      resourceName: 't',
      patternType: 3,
      principal: 'User:alice',
      host: '*',
      operation: 3,
      permissionType: 3,
    };
    expect(decode({ acls: [acl] })).not.toThrow();
    expect(decode({ acls: [acl, acl] })).toThrow(/repeated ACL id/);
    expect(decode({ acls: [{ ...acl, operation: 1 }] })).toThrow(/operation is not a stored value/);
    expect(decode({ acls: [{ ...acl, patternType: 2 }] })).toThrow(/patternType is not a stored value/);
    expect(decode({ acls: [{ ...acl, principal: 'alice' }] })).toThrow(/principal/);
    const credential = {
      name: 'alice',
      mechanism: 1,
      salt: [1],
      storedKey: [2],
      serverKey: [3],
      iterations: 4096,
    };
    expect(decode({ scramCredentials: [credential] })).not.toThrow();
    expect(decode({ scramCredentials: [credential, credential] })).toThrow(/repeats alice's SCRAM-SHA-256/);
    expect(decode({ scramCredentials: [{ ...credential, mechanism: 3 }] })).toThrow(/mechanism/);
    const quota = { user: 'alice', key: 'producer_byte_rate', value: 1024 };
    expect(decode({ clientQuotas: [quota, { ...quota, user: undefined }] })).not.toThrow();
    expect(decode({ clientQuotas: [quota, quota] })).toThrow(/repeats producer_byte_rate/);
    expect(decode({ clientQuotas: [{ ...quota, key: 'request_percentage' }] })).toThrow(/not a quota key/);
    expect(decode({ clientQuotas: [{ ...quota, value: 0 }] })).toThrow(/not positive/);
  });
});
