// The native API's envelopes (proto/native.proto): decoded into plain objects, record batches kept as
// the bytes that came (a view of the request body, never copied or parsed here).
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { HttpError } from '../errors.ts';

const root = protobuf.loadSync(fileURLToPath(new URL('../../../proto/native.proto', import.meta.url)));
/** A message type of proto/native.proto. */
export const nativeType = (name: string): protobuf.Type => root.lookupType(`native.${name}`);
const TYPES = {
  produceRequest: nativeType('ProduceRequest'),
  produceResponse: nativeType('ProduceResponse'),
  fetchRequest: nativeType('FetchRequest'),
  fetchResponse: nativeType('FetchResponse'),
  metadataRequest: nativeType('MetadataRequest'),
  metadataResponse: nativeType('MetadataResponse'),
};
const OBJECT_OPTIONS: protobuf.IConversionOptions = { longs: Number, defaults: true, arrays: true };

export interface NativeProduceRequest {
  readonly acks: number;
  readonly timeoutMs: number;
  readonly topics: readonly {
    readonly name: string;
    readonly partitions: readonly { readonly partition: number; readonly records: Buffer }[];
  }[];
}

export interface NativeProduceResponse {
  readonly topics: readonly {
    readonly name: string;
    readonly partitions: readonly {
      readonly partition: number;
      readonly errorCode: number;
      readonly errorMessage: string;
      readonly baseOffset: number;
    }[];
  }[];
}

export interface NativeFetchRequest {
  readonly maxWaitMs: number;
  readonly minBytes: number;
  readonly maxBytes: number;
  readonly topics: readonly {
    readonly name: string;
    readonly partitions: readonly {
      readonly partition: number;
      readonly fetchOffset: number;
      readonly partitionMaxBytes: number;
    }[];
  }[];
}

export interface NativeFetchedPartition {
  readonly partition: number;
  readonly errorCode: number;
  readonly errorMessage: string;
  readonly highWatermark: number;
  readonly logStartOffset: number;
  readonly records: Uint8Array;
}

export interface NativeFetchResponse {
  readonly topics: readonly {
    readonly name: string;
    readonly partitions: readonly NativeFetchedPartition[];
  }[];
}

export interface NativeMetadataRequest {
  readonly topics: readonly string[];
}

export interface NativeMetadataResponse {
  readonly clusterId: string;
  readonly brokers: readonly {
    readonly id: number;
    readonly host: string;
    readonly port: number;
    readonly fenced: boolean;
  }[];
  readonly topics: readonly {
    readonly name: string;
    readonly errorCode: number;
    readonly partitions: readonly {
      readonly partition: number;
      readonly leader: number;
      readonly leaderEpoch: number;
      readonly replicas: readonly number[];
      readonly isr: readonly number[];
    }[];
  }[];
}

export function decode<T>(messageType: protobuf.Type, body: unknown, what: string): T {
  if (!(body instanceof Uint8Array)) throw new HttpError('UNSUPPORTED_MEDIA_TYPE');
  try {
    return messageType.toObject(messageType.decode(body), OBJECT_OPTIONS) as T;
  } catch (error) {
    throw new HttpError('MALFORMED_REQUEST', `The body is not a ${what}: ${(error as Error).message}`);
  }
}

export function encode(messageType: protobuf.Type, message: object): Buffer {
  const bytes = messageType.encode(messageType.fromObject(message)).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** An answer from a server that speaks this API: a failure to decode is thrown as it is. */
export function decodeAnswer<T>(messageType: protobuf.Type, bytes: Uint8Array): T {
  return messageType.toObject(messageType.decode(bytes), OBJECT_OPTIONS) as T;
}

/** A Buffer over the same memory (protobufjs gives Buffer slices in Node; anything else is wrapped). */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function decodeProduceRequest(body: unknown): NativeProduceRequest {
  const request = decode<NativeProduceRequest>(TYPES.produceRequest, body, 'native.ProduceRequest');
  return {
    ...request,
    topics: request.topics.map((topic) => ({
      name: topic.name,
      partitions: topic.partitions.map((p) => ({ partition: p.partition, records: asBuffer(p.records) })),
    })),
  };
}

export const decodeFetchRequest = (body: unknown): NativeFetchRequest =>
  decode(TYPES.fetchRequest, body, 'native.FetchRequest');
export const decodeMetadataRequest = (body: unknown): NativeMetadataRequest =>
  decode(TYPES.metadataRequest, body, 'native.MetadataRequest');

export const encodeProduceResponse = (response: NativeProduceResponse): Buffer =>
  encode(TYPES.produceResponse, response);
export const encodeFetchResponse = (response: NativeFetchResponse): Buffer =>
  encode(TYPES.fetchResponse, response);
export const encodeMetadataResponse = (response: NativeMetadataResponse): Buffer =>
  encode(TYPES.metadataResponse, response);

/** The other side's codecs (clients, tests): requests out, answers in. */
export const clientCodec = {
  produceRequest: (request: NativeProduceRequest): Buffer => encode(TYPES.produceRequest, request),
  fetchRequest: (request: NativeFetchRequest): Buffer => encode(TYPES.fetchRequest, request),
  metadataRequest: (request: NativeMetadataRequest): Buffer => encode(TYPES.metadataRequest, request),
  produceResponse: (bytes: Uint8Array): NativeProduceResponse => decodeAnswer(TYPES.produceResponse, bytes),
  fetchResponse: (bytes: Uint8Array): NativeFetchResponse => decodeAnswer(TYPES.fetchResponse, bytes),
  metadataResponse: (bytes: Uint8Array): NativeMetadataResponse =>
    decodeAnswer(TYPES.metadataResponse, bytes),
};
