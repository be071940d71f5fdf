import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import {
  decodeFetchRequest,
  decodeFetchResponse,
  encodeFetchRequest,
  encodeFetchResponse,
  FetchCodecError,
  type FetchedPartition,
  type FetchRequest,
  type FetchResponse,
} from '../../src/replication/fetch-messages.ts';
import { buildRecordBatch } from '../../src/storage/record-batch/builder.ts';

const TOPIC = '6d1f5a38-2f0b-4f51-9d0c-0123456789ab';

const root = protobuf.loadSync(fileURLToPath(new URL('../../proto/broker.proto', import.meta.url)));
const requestType = root.lookupType('broker.FetchRequest');
const responseType = root.lookupType('broker.FetchResponse');

/** Records as plain bytes (a decoded message may hold a Buffer), so that toEqual compares contents. */
function normalized(response: FetchResponse): FetchResponse {
  return {
    partitions: response.partitions.map((p) => ({ ...p, records: new Uint8Array(p.records) })),
  };
}

function caught(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

const partition = (overrides: Partial<FetchedPartition>): FetchedPartition => ({
  topicId: TOPIC,
  partition: 0,
  error: null,
  highWatermark: 0,
  logStartOffset: 0,
  divergingEpoch: null,
  records: new Uint8Array(0),
  ...overrides,
});

describe('fetch request codec', () => {
  it('round-trips a request with several partitions, an empty log (-1) and large offsets', () => {
    const request: FetchRequest = {
      replicaId: 3,
      brokerEpoch: 2 ** 40,
      maxWaitMs: 500,
      maxBytes: 1 << 20,
      partitions: [
        {
          topicId: TOPIC,
          partition: 0,
          fetchOffset: 0,
          currentLeaderEpoch: 0,
          lastFetchedEpoch: -1,
          maxBytes: 1024,
        },
        {
          topicId: TOPIC,
          partition: 7,
          fetchOffset: Number.MAX_SAFE_INTEGER,
          currentLeaderEpoch: 12,
          lastFetchedEpoch: 11,
          maxBytes: 4096,
        },
      ],
    };
    expect(decodeFetchRequest(encodeFetchRequest(request))).toEqual(request);
  });

  it('round-trips a request with no partitions', () => {
    const request: FetchRequest = { replicaId: 1, brokerEpoch: 0, maxWaitMs: 0, maxBytes: 0, partitions: [] };
    expect(decodeFetchRequest(encodeFetchRequest(request))).toEqual(request);
  });

  it('refuses garbage', () => {
    const error = caught(() => decodeFetchRequest(Uint8Array.of(0x0a, 0x05, 0x01)));
    expect(error).toBeInstanceOf(FetchCodecError);
    expect(caught(() => decodeFetchRequest(Uint8Array.of(0xff, 0xff, 0xff, 0xff)))).toBeInstanceOf(
      FetchCodecError,
    );
  });

  it('refuses offsets and broker epochs beyond 2^53', () => {
    const unsafeOffset = requestType
      .encode(
        requestType.fromObject({
          replicaId: 2,
          partitions: [{ topicId: TOPIC, fetchOffset: '18446744073709551615' }],
        }),
      )
      .finish();
    const error = caught(() => decodeFetchRequest(unsafeOffset));
    expect(error).toBeInstanceOf(FetchCodecError);
    expect((error as Error).message).toMatch(/fetchOffset/);
    const unsafeEpoch = requestType
      .encode(requestType.fromObject({ replicaId: 2, brokerEpoch: '9007199254740993' }))
      .finish();
    expect((caught(() => decodeFetchRequest(unsafeEpoch)) as Error).message).toMatch(/brokerEpoch/);
  });
});

describe('fetch response codec', () => {
  const batch = buildRecordBatch({
    records: [{ timestamp: 1_000, key: Buffer.from('k'), value: Buffer.from('v'), headers: [] }],
  });

  it('round-trips records, positions, a diverging epoch and errors', () => {
    const response: FetchResponse = {
      partitions: [
        partition({ highWatermark: 10, logStartOffset: 2, records: new Uint8Array(batch) }),
        partition({ partition: 1, highWatermark: 5, divergingEpoch: { epoch: 3, endOffset: 42 } }),
        // A diverging epoch of zeros is present, not absent.
        partition({ partition: 2, divergingEpoch: { epoch: 0, endOffset: 0 } }),
        partition({
          partition: 3,
          error: { name: 'FENCED_LEADER_EPOCH', message: 'Leader epoch 1 is older than 2.' },
        }),
        partition({
          partition: 4,
          highWatermark: Number.MAX_SAFE_INTEGER,
          logStartOffset: Number.MAX_SAFE_INTEGER,
        }),
      ],
    };
    const decoded = decodeFetchResponse(encodeFetchResponse(response));
    expect(normalized(decoded)).toEqual(normalized(response));
    expect(Buffer.from(decoded.partitions[0]!.records).equals(batch)).toBe(true);
  });

  it('round-trips an empty response', () => {
    expect(decodeFetchResponse(encodeFetchResponse({ partitions: [] }))).toEqual({ partitions: [] });
  });

  it('refuses garbage', () => {
    expect(caught(() => decodeFetchResponse(Uint8Array.of(0x0a, 0x05, 0x01)))).toBeInstanceOf(
      FetchCodecError,
    );
  });

  it('refuses an unknown error name', () => {
    const bytes = responseType
      .encode(responseType.fromObject({ partitions: [{ topicId: TOPIC, errorName: 'NOT_AN_ERROR' }] }))
      .finish();
    const error = caught(() => decodeFetchResponse(bytes));
    expect(error).toBeInstanceOf(FetchCodecError);
    expect((error as Error).message).toMatch(/NOT_AN_ERROR/);
    // Inherited properties of the error table are not error names either.
    const proto = responseType
      .encode(responseType.fromObject({ partitions: [{ topicId: TOPIC, errorName: 'toString' }] }))
      .finish();
    expect(caught(() => decodeFetchResponse(proto))).toBeInstanceOf(FetchCodecError);
  });

  it('refuses offsets beyond 2^53', () => {
    for (const wire of [
      { highWatermark: '9007199254740993' },
      { logStartOffset: '18446744073709551615' },
      { divergingEpoch: { epoch: 1, endOffset: '9007199254740993' } },
    ]) {
      const bytes = responseType
        .encode(responseType.fromObject({ partitions: [{ topicId: TOPIC, ...wire }] }))
        .finish();
      expect(
        caught(() => decodeFetchResponse(bytes)),
        JSON.stringify(wire),
      ).toBeInstanceOf(FetchCodecError);
    }
  });
});
