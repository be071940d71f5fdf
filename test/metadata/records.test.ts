import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lookupType } from '../../src/metadata/wire.ts';
import { MetadataCodecError } from '../../src/metadata/wire.ts';
import { decodeRecordBatch, encodeRecordBatch } from '../../src/metadata/records.ts';
import type { MetadataRecord } from '../../src/metadata/records.ts';
import { recordArb, recordArbsByType } from './arbitraries.ts';

const batchType = lookupType('RecordBatch');

function decodeFails(wire: Record<string, unknown>): () => MetadataRecord[] {
  const bytes = batchType.encode(wire).finish();
  return () => decodeRecordBatch(bytes);
}

describe('RecordBatch codec', () => {
  it('round-trips any batch of records', () => {
    fc.assert(
      fc.property(fc.array(recordArb, { maxLength: 12 }), (records) => {
        expect(decodeRecordBatch(encodeRecordBatch(records))).toEqual(records);
      }),
    );
  });

  it('round-trips every record type on its own', () => {
    for (const arb of recordArbsByType) {
      fc.assert(
        fc.property(arb, (record) => {
          expect(decodeRecordBatch(encodeRecordBatch([record]))).toEqual([record]);
        }),
        { numRuns: 50 },
      );
    }
  });

  it('keeps an absent ISR apart from an empty one', () => {
    const base = {
      type: 'partitionChange',
      topicId: '6f1c1f4e-8a55-4d7e-9f0e-0d2b8c3a1b2c',
      partitionId: 0,
      leader: null,
      replicas: null,
    } as const;
    const absent = { ...base, isr: null } as unknown as MetadataRecord;
    const empty = { ...base, isr: [] } as unknown as MetadataRecord;
    expect(decodeRecordBatch(encodeRecordBatch([absent]))).toStrictEqual([absent]);
    expect(decodeRecordBatch(encodeRecordBatch([empty]))).toStrictEqual([empty]);
  });

  it('decodes the empty input as an empty batch', () => {
    expect(decodeRecordBatch(new Uint8Array())).toStrictEqual([]);
  });

  it('throws only MetadataCodecError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          decodeRecordBatch(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(MetadataCodecError);
        }
      }),
    );
  });

  it('throws MetadataCodecError on a truncated batch', () => {
    fc.assert(
      fc.property(fc.array(recordArb, { minLength: 1, maxLength: 4 }), fc.nat(), (records, cut) => {
        const bytes = encodeRecordBatch(records);
        const truncated = bytes.subarray(0, cut % bytes.length);
        try {
          decodeRecordBatch(truncated);
        } catch (error) {
          expect(error).toBeInstanceOf(MetadataCodecError);
        }
      }),
    );
  });

  it('rejects well-formed protobuf that does not fit the types', () => {
    const topicId = '6f1c1f4e-8a55-4d7e-9f0e-0d2b8c3a1b2c';
    const partition = { topicId, partitionId: 0, replicas: [1], isr: [1], leader: 1 };
    expect(decodeFails({ records: [{}] })).toThrow(/has no known record/);
    expect(decodeFails({ records: [{ partition: { ...partition, replicas: [2 ** 31] } }] })).toThrow(
      /above 2\^31-1/,
    );
    expect(decodeFails({ records: [{ partition: { ...partition, leader: -2 } }] })).toThrow(/neither -1/);
    expect(decodeFails({ records: [{ partition: { ...partition, topicId: 'ABC' } }] })).toThrow(/UUID/);
    expect(
      decodeFails({ records: [{ topic: { name: 't', topicId: '00000000-0000-0000-0000-000000000000' } }] }),
    ).toThrow(/non-nil/);
    expect(decodeFails({ records: [{ config: { resourceType: 3, resourceName: 'x', name: 'y' } }] })).toThrow(
      MetadataCodecError,
    );
    expect(decodeFails({ records: [{ leaderChange: { leaderId: 0, epoch: 1 } }] })).toThrow(/leaderId is 0/);
    expect(
      decodeFails({ records: [{ producerIds: { brokerId: 1, brokerEpoch: 1, nextProducerId: 2 ** 60 } }] }),
    ).toThrow(/safe/);
    expect(
      decodeFails({
        records: [{ registerBroker: { brokerId: 1, incarnationId: topicId, endpoints: [{ port: 70000 }] } }],
      }),
    ).toThrow(/port/);
  });
});
