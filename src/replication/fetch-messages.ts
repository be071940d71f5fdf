// The replica Fetch RPC (proto/broker.proto) as plain objects, and its protobuf encoding. 64-bit fields
// become numbers (offsets are safe integers); a decoded message that does not fit its type is refused.
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { type KafkaErrorName, KafkaErrors } from '../common/kafka-errors.ts';

export const FETCH_PATH = '/internal/v1/replication/fetch';

export interface FetchPartition {
  readonly topicId: string;
  readonly partition: number;
  readonly fetchOffset: number;
  readonly currentLeaderEpoch: number;
  /** -1: the follower's log is empty. */
  readonly lastFetchedEpoch: number;
  readonly maxBytes: number;
}

export interface FetchRequest {
  readonly replicaId: number;
  readonly brokerEpoch: number;
  readonly maxWaitMs: number;
  readonly maxBytes: number;
  readonly partitions: readonly FetchPartition[];
}

export interface EpochEndOffset {
  readonly epoch: number;
  readonly endOffset: number;
}

export interface FetchedPartition {
  readonly topicId: string;
  readonly partition: number;
  readonly error: { readonly name: KafkaErrorName; readonly message: string } | null;
  readonly highWatermark: number;
  readonly logStartOffset: number;
  readonly divergingEpoch: EpochEndOffset | null;
  readonly records: Uint8Array;
}

export interface FetchResponse {
  readonly partitions: readonly FetchedPartition[];
}

/** A body that does not decode to a valid message. */
export class FetchCodecError extends Error {
  override readonly name = 'FetchCodecError';
}

const root = protobuf.loadSync(fileURLToPath(new URL('../../proto/broker.proto', import.meta.url)));
const requestType = root.lookupType('broker.FetchRequest');
const responseType = root.lookupType('broker.FetchResponse');
const OBJECT_OPTIONS: protobuf.IConversionOptions = { longs: Number, defaults: true, arrays: true };

export function encodeFetchRequest(request: FetchRequest): Uint8Array {
  return requestType.encode(requestType.fromObject(request)).finish();
}

export function decodeFetchRequest(bytes: Uint8Array): FetchRequest {
  const object = decode(requestType, bytes) as unknown as FetchRequest;
  requireSafe('brokerEpoch', object.brokerEpoch);
  for (const partition of object.partitions) requireSafe('fetchOffset', partition.fetchOffset);
  return object;
}

export function encodeFetchResponse(response: FetchResponse): Uint8Array {
  return responseType
    .encode(
      responseType.fromObject({
        partitions: response.partitions.map((partition) => ({
          topicId: partition.topicId,
          partition: partition.partition,
          errorName: partition.error?.name ?? '',
          errorMessage: partition.error?.message ?? '',
          highWatermark: partition.highWatermark,
          logStartOffset: partition.logStartOffset,
          ...(partition.divergingEpoch !== null ? { divergingEpoch: partition.divergingEpoch } : {}),
          records: partition.records,
        })),
      }),
    )
    .finish();
}

interface WirePartition {
  topicId: string;
  partition: number;
  errorName: string;
  errorMessage: string;
  highWatermark: number;
  logStartOffset: number;
  divergingEpoch?: { epoch: number; endOffset: number } | null;
  records: Uint8Array;
}

export function decodeFetchResponse(bytes: Uint8Array): FetchResponse {
  const object = decode(responseType, bytes) as unknown as { partitions: WirePartition[] };
  return {
    partitions: object.partitions.map((wire) => {
      requireSafe('highWatermark', wire.highWatermark);
      requireSafe('logStartOffset', wire.logStartOffset);
      if (wire.errorName !== '' && !Object.hasOwn(KafkaErrors, wire.errorName)) {
        throw new FetchCodecError(`unknown error name ${wire.errorName}`);
      }
      const diverging = wire.divergingEpoch ?? null;
      if (diverging !== null) requireSafe('divergingEpoch.endOffset', diverging.endOffset);
      return {
        topicId: wire.topicId,
        partition: wire.partition,
        error:
          wire.errorName === ''
            ? null
            : { name: wire.errorName as KafkaErrorName, message: wire.errorMessage },
        highWatermark: wire.highWatermark,
        logStartOffset: wire.logStartOffset,
        divergingEpoch:
          diverging === null ? null : { epoch: diverging.epoch, endOffset: diverging.endOffset },
        records: wire.records,
      };
    }),
  };
}

function decode(type: protobuf.Type, bytes: Uint8Array): Record<string, unknown> {
  try {
    return type.toObject(type.decode(bytes), OBJECT_OPTIONS);
  } catch (error) {
    throw new FetchCodecError(`${type.name}: ${(error as Error).message}`);
  }
}

function requireSafe(field: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new FetchCodecError(`${field} ${value} is not a safe offset`);
}
