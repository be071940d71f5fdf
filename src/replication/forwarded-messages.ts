// Client produces and reads that a node forwards to the partition's leader (proto/broker.proto), as plain
// objects, and their protobuf encoding. An error travels as a Kafka error name in the answer.
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { KafkaError, type KafkaErrorName, KafkaErrors } from '../common/kafka-errors.ts';
import { UnacknowledgedAppendError } from './unacknowledged-append.ts';

export const PRODUCE_PATH = '/internal/v1/partitions/produce';
export const READ_PATH = '/internal/v1/partitions/read';

export interface ForwardedProduce {
  readonly topicId: string;
  readonly partition: number;
  readonly acks: number;
  readonly timeoutMs: number;
  readonly records: Uint8Array;
}

export interface ProduceAnswer {
  readonly baseOffset: number;
  readonly lastOffset: number;
}

export interface ForwardedRead {
  readonly topicId: string;
  readonly partition: number;
  readonly offset: number;
  readonly maxBytes: number;
  readonly maxWaitMs: number;
  /** ListOffsets: only the log start offset and the high watermark. */
  readonly offsetsOnly?: boolean;
  /** With offsetsOnly, ListOffsets by timestamp too (epoch ms): answered in `timestampOffset`. */
  readonly timestamp?: number;
}

export interface ReadAnswer {
  readonly highWatermark: number;
  readonly logStartOffset: number;
  readonly records: Uint8Array;
  /** The answer to ForwardedRead.timestamp: the first committed offset at or after it, -1 when none. */
  readonly timestampOffset?: number;
}

/** A body that does not decode to a valid message. */
export class ForwardCodecError extends Error {
  override readonly name = 'ForwardCodecError';
}

const root = protobuf.loadSync(fileURLToPath(new URL('../../proto/broker.proto', import.meta.url)));
const types = {
  produceRequest: root.lookupType('broker.ProduceRequest'),
  produceResponse: root.lookupType('broker.ProduceResponse'),
  readRequest: root.lookupType('broker.ReadRequest'),
  readResponse: root.lookupType('broker.ReadResponse'),
};
const OBJECT_OPTIONS: protobuf.IConversionOptions = { longs: Number, defaults: true, arrays: true };

function encode(type: protobuf.Type, value: object): Uint8Array {
  return type.encode(type.fromObject(value)).finish();
}

function decode<T>(type: protobuf.Type, bytes: Uint8Array, offsets: readonly string[]): T {
  let object: Record<string, unknown>;
  try {
    object = type.toObject(type.decode(bytes), OBJECT_OPTIONS);
  } catch (error) {
    throw new ForwardCodecError(`${type.name}: ${(error as Error).message}`);
  }
  for (const field of offsets) {
    const value = object[field];
    if (!Number.isSafeInteger(value) || (value as number) < 0) {
      throw new ForwardCodecError(`${type.name}.${field} ${String(value)} is not a safe offset`);
    }
  }
  return object as T;
}

/** The error carried by an answer, or null. Unknown names are a codec error. */
function errorOf(object: { errorName: string; errorMessage: string }): KafkaError | null {
  if (object.errorName === '') return null;
  if (!Object.hasOwn(KafkaErrors, object.errorName))
    throw new ForwardCodecError(`unknown error name ${object.errorName}`);
  return new KafkaError(object.errorName as KafkaErrorName, object.errorMessage);
}

export const encodeProduce = (request: ForwardedProduce): Uint8Array => encode(types.produceRequest, request);
export const decodeProduce = (bytes: Uint8Array): ForwardedProduce => decode(types.produceRequest, bytes, []);
export const encodeRead = (request: ForwardedRead): Uint8Array => encode(types.readRequest, request);
export const decodeRead = (bytes: Uint8Array): ForwardedRead => decode(types.readRequest, bytes, ['offset']);

export function encodeProduceAnswer(answer: ProduceAnswer | KafkaError): Uint8Array {
  return encode(
    types.produceResponse,
    answer instanceof KafkaError
      ? {
          errorName: answer.errorName,
          errorMessage: answer.message,
          appended: answer instanceof UnacknowledgedAppendError,
        }
      : answer,
  );
}

/** The leader's answer to a forwarded produce: its offsets, or the KafkaError it failed with. */
export function decodeProduceAnswer(bytes: Uint8Array): ProduceAnswer | KafkaError {
  const object = decode<ProduceAnswer & { errorName: string; errorMessage: string; appended: boolean }>(
    types.produceResponse,
    bytes,
    ['baseOffset', 'lastOffset'],
  );
  const error = errorOf(object);
  if (error === null) return { baseOffset: object.baseOffset, lastOffset: object.lastOffset };
  return object.appended ? new UnacknowledgedAppendError(error.errorName, error.message) : error;
}

export function encodeReadAnswer(answer: ReadAnswer | KafkaError): Uint8Array {
  return encode(
    types.readResponse,
    answer instanceof KafkaError ? { errorName: answer.errorName, errorMessage: answer.message } : answer,
  );
}

export function decodeReadAnswer(bytes: Uint8Array): ReadAnswer | KafkaError {
  const object = decode<ReadAnswer & { errorName: string; errorMessage: string }>(types.readResponse, bytes, [
    'highWatermark',
    'logStartOffset',
  ]);
  const error = errorOf(object);
  if (error !== null) return error;
  const timestampOffset = object.timestampOffset;
  if (timestampOffset !== undefined && (!Number.isSafeInteger(timestampOffset) || timestampOffset < -1)) {
    throw new ForwardCodecError(`ReadResponse.timestampOffset ${String(timestampOffset)} is not an offset`);
  }
  return {
    highWatermark: object.highWatermark,
    logStartOffset: object.logStartOffset,
    records: object.records,
    ...(timestampOffset !== undefined ? { timestampOffset } : {}),
  };
}
