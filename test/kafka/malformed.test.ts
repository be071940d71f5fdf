// Hostile and broken frames end in a MalformedMessageError (never a read out of range, another error, or
// an allocation sized by the attacker); messages a version cannot carry end in an UnsupportedVersionError.
// Some cases are Kafka's own (RequestResponseTest, MessageTest in apache/kafka).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadMessageSchemas } from '../../scripts/kafka-protocol/schema.ts';
import {
  apiByKey,
  KAFKA_APIS,
  requestHeaderVersion,
  responseHeaderVersion,
} from '../../src/kafka/protocol/api-keys.ts';
import { MalformedMessageError, UnsupportedVersionError } from '../../src/kafka/protocol/errors.ts';
import {
  decodeApiVersionsResponse,
  defaultApiVersionsResponse,
  encodeApiVersionsResponse,
} from '../../src/kafka/protocol/generated/api-versions-response.ts';
import { generatedApis } from '../../src/kafka/protocol/generated/apis.ts';
import {
  decodeMetadataRequest,
  defaultMetadataRequest,
  encodeMetadataRequest,
} from '../../src/kafka/protocol/generated/metadata-request.ts';
import {
  decodeProduceResponse,
  defaultProduceResponse,
  encodeProduceResponse,
} from '../../src/kafka/protocol/generated/produce-response.ts';
import { encodeRequestHeader } from '../../src/kafka/protocol/generated/request-header.ts';
import {
  decodeSaslAuthenticateRequest,
  encodeSaslAuthenticateRequest,
} from '../../src/kafka/protocol/generated/sasl-authenticate-request.ts';
import { decodeSaslHandshakeRequest } from '../../src/kafka/protocol/generated/sasl-handshake-request.ts';
import { Reader } from '../../src/kafka/protocol/reader.ts';
import { Writer } from '../../src/kafka/protocol/writer.ts';
import { fcParameters, messageArbitrary, versionsOf } from './schema-arbitraries.ts';

const bytes = (...values: number[]) => Uint8Array.from(values);

function malformedReason(decode: () => unknown): string {
  try {
    decode();
  } catch (error) {
    if (error instanceof MalformedMessageError) return error.reason;
    throw error;
  }
  throw new Error('decoded without an error');
}

const encoded = (encode: (writer: Writer) => void) => {
  const writer = new Writer();
  encode(writer);
  return writer.toBuffer();
};

describe("Kafka's own cases", () => {
  it('an unknown tagged field is kept on decode and written back (SaslAuthenticate v2)', () => {
    // RequestResponseTest.testValidTaggedFieldsWithSaslAuthenticateRequest
    const frame = bytes(0x05, ...Buffer.from('test'), 0x01, 0x01, 0x03, 0x01, 0x02, 0x03);
    const reader = new Reader(frame);
    const request = decodeSaslAuthenticateRequest(reader, 2);
    expect(reader.remaining).toBe(0);
    expect(Buffer.from(request.authBytes).toString()).toBe('test');
    expect(request.unknownTaggedFields).toEqual([{ tag: 1, data: bytes(1, 2, 3) }]);
    expect(encoded((writer) => encodeSaslAuthenticateRequest(writer, request, 2)).equals(frame)).toBe(true);
  });

  it('a tagged field whose size runs past the end (SaslAuthenticate v2)', () => {
    // testInvalidTaggedFieldsWithSaslAuthenticateRequest: size 32767 with 3 bytes left
    const frame = bytes(0x05, ...Buffer.from('test'), 0x01, 0x01, 0xff, 0xff, 0x01, 0x01, 0x02, 0x03);
    expect(malformedReason(() => decodeSaslAuthenticateRequest(new Reader(frame), 2))).toBe(
      'length-past-end',
    );
  });

  it('a bytes length of 2^31-1 with 20 bytes left (SaslAuthenticate v1)', () => {
    const frame = Buffer.alloc(24, 0x11);
    frame.writeInt32BE(0x7fff_ffff, 0);
    expect(malformedReason(() => decodeSaslAuthenticateRequest(new Reader(frame), 1))).toBe(
      'length-past-end',
    );
  });

  it('a string length of 32767 with 5 bytes left (SaslHandshake v1)', () => {
    const frame = Buffer.concat([Buffer.from([0x7f, 0xff]), Buffer.from('PLAIN')]);
    expect(malformedReason(() => decodeSaslHandshakeRequest(new Reader(frame), 1))).toBe('length-past-end');
  });

  it('tagged fields set at a version without them are refused (MessageTest.testUnknownTaggedFields)', () => {
    const message = {
      ...defaultMetadataRequest(),
      unknownTaggedFields: [{ tag: 1000, data: bytes(1, 2, 3) }],
    };
    expect(() => encodeMetadataRequest(new Writer(), message, 8)).toThrow(UnsupportedVersionError);
    expect(() => encodeMetadataRequest(new Writer(), message, 9)).not.toThrow();
  });
});

describe('malformed frames', () => {
  it('negative lengths of strings, bytes and arrays', () => {
    // MetadataRequest v1: topics (int32 count, -1 allowed), each a string name.
    expect(malformedReason(() => decodeMetadataRequest(new Reader(bytes(0xff, 0xff, 0xff, 0xfb)), 1))).toBe(
      'negative-length',
    );
    expect(malformedReason(() => decodeMetadataRequest(new Reader(bytes(0, 0, 0, 1, 0xff, 0xfe)), 1))).toBe(
      'negative-length',
    );
    const bytesLength = Buffer.alloc(8);
    bytesLength.writeInt32BE(-2, 0);
    expect(malformedReason(() => decodeSaslAuthenticateRequest(new Reader(bytesLength), 1))).toBe(
      'negative-length',
    );
  });

  it('null where the version allows none', () => {
    // MetadataRequest v0: topics is not nullable; a topic name is never null.
    expect(malformedReason(() => decodeMetadataRequest(new Reader(bytes(0xff, 0xff, 0xff, 0xff)), 0))).toBe(
      'null-not-allowed',
    );
    expect(malformedReason(() => decodeMetadataRequest(new Reader(bytes(0, 0, 0, 1, 0xff, 0xff)), 1))).toBe(
      'null-not-allowed',
    );
  });

  it('an array count the remaining bytes cannot hold is refused before anything is allocated', () => {
    expect(
      malformedReason(() => decodeMetadataRequest(new Reader(bytes(0x7f, 0xff, 0xff, 0xff, 0, 0)), 1)),
    ).toBe('length-past-end');
    // Compact (v9+): unsigned varint count+1 of 2^32-1.
    const compact = bytes(0xff, 0xff, 0xff, 0xff, 0x0f, 0, 0, 0);
    expect(malformedReason(() => decodeMetadataRequest(new Reader(compact), 12))).toBe('length-past-end');
  });

  it('a varint longer than five bytes, or above 32 bits', () => {
    expect(
      malformedReason(() => decodeMetadataRequest(new Reader(bytes(0x80, 0x80, 0x80, 0x80, 0x80, 0x01)), 12)),
    ).toBe('invalid-varint');
    expect(
      malformedReason(() => decodeMetadataRequest(new Reader(bytes(0xff, 0xff, 0xff, 0xff, 0x1f)), 12)),
    ).toBe('invalid-varint');
  });

  it('a known tagged field whose content does not fill its declared size', () => {
    // ApiVersionsResponse v3: error 0, no api keys, throttle 0, one tagged field: tag 1
    // (FinalizedFeaturesEpoch, an int64) declared as 9 bytes.
    const frame = bytes(0, 0, 1, 0, 0, 0, 0, 1, 1, 9, 0, 0, 0, 0, 0, 0, 0, 7, 0);
    expect(malformedReason(() => decodeApiVersionsResponse(new Reader(frame), 3))).toBe('tagged-field-size');
  });

  it('every strict prefix of every message fails as malformed', () => {
    const messages = loadMessageSchemas();
    const cases = fc
      .constantFrom(...messages)
      .chain((message) =>
        fc
          .constantFrom(...versionsOf(message))
          .chain((version) =>
            messageArbitrary(message, version).map((value) => ({ message, version, value })),
          ),
      );
    fc.assert(
      fc.property(cases, fc.nat(), ({ message, version, value }, cut) => {
        const codec = codecs.get(message.name)!;
        const frame = encoded((writer) => codec.encode(writer, value, version));
        if (frame.length === 0) return;
        const prefix = frame.subarray(0, cut % frame.length);
        expect(malformedReason(() => codec.decode(new Reader(prefix), version))).toMatch(
          /^(truncated|length-past-end)$/,
        );
      }),
      fcParameters(300),
    );
  });

  it('random bytes decode or fail as malformed, for every message and version', () => {
    const messages = loadMessageSchemas();
    const cases = fc
      .constantFrom(...messages)
      .chain((message) => fc.constantFrom(...versionsOf(message)).map((version) => ({ message, version })));
    fc.assert(
      fc.property(cases, fc.uint8Array({ maxLength: 64 }), ({ message, version }, frame) => {
        const codec = codecs.get(message.name)!;
        try {
          codec.decode(new Reader(frame), version);
        } catch (error) {
          if (!(error instanceof MalformedMessageError)) throw error;
        }
      }),
      fcParameters(2000),
    );
  });
});

describe('encoding what a version cannot carry', () => {
  it('a non-default value of a non-ignorable field the version lacks is refused; an ignorable one is dropped', () => {
    const metadata = { ...defaultMetadataRequest(), topics: [], allowAutoTopicCreation: false };
    expect(() => encodeMetadataRequest(new Writer(), metadata, 3)).toThrow(UnsupportedVersionError);
    expect(() => encodeMetadataRequest(new Writer(), metadata, 4)).not.toThrow();
    // RequestHeader's ClientId is ignorable: header v0 has none and drops it.
    const header = { requestApiKey: 18, requestApiVersion: 0, correlationId: 1, clientId: 'app' };
    expect(encoded((writer) => encodeRequestHeader(writer, header, 0)).toString('hex')).toBe(
      '0012000000000001',
    );
  });

  it('a null the version cannot express, and versions out of range', () => {
    expect(() =>
      encodeMetadataRequest(new Writer(), { ...defaultMetadataRequest(), topics: null }, 0),
    ).toThrow(UnsupportedVersionError);
    expect(() => encodeMetadataRequest(new Writer(), defaultMetadataRequest(), 13)).toThrow(
      UnsupportedVersionError,
    );
    expect(() => decodeMetadataRequest(new Reader(bytes()), -1)).toThrow(UnsupportedVersionError);
  });
});

describe('flexible versions', () => {
  it('request header v2 keeps ClientId as a classic int16 string, then tagged fields', () => {
    const header = { requestApiKey: 3, requestApiVersion: 12, correlationId: 7, clientId: 'ab' };
    expect(encoded((writer) => encodeRequestHeader(writer, header, 2)).toString('hex')).toBe(
      '0003000c00000007' + '00026162' + '00',
    );
  });

  it('a known tagged field of more than 127 bytes gets a two-byte size, and unknown tags interleave in order', () => {
    const response = {
      ...defaultProduceResponse(),
      nodeEndpoints: Array.from({ length: 12 }, (_, index) => ({
        nodeId: index,
        host: `broker-${index}.example.com`,
        port: 9092,
        rack: null,
      })),
      unknownTaggedFields: [{ tag: 5, data: bytes(0xaa) }],
    };
    const frame = encoded((writer) => encodeProduceResponse(writer, response, 10));
    // responses (empty compact array), throttle, then the tag section: 2 fields, tag 0 with a 2-byte size.
    expect(frame.subarray(0, 7).toString('hex')).toBe('01' + '00000000' + '02' + '00');
    expect(frame[7]! & 0x80).toBe(0x80);
    const size = (frame[7]! & 0x7f) + frame[8]! * 128;
    expect(size).toBeGreaterThan(127);
    expect(frame.length).toBe(9 + size + 3);
    expect(frame.subarray(9 + size).toString('hex')).toBe('0501aa');
    expect(decodeProduceResponse(new Reader(frame), 10)).toEqual(response);
  });

  it('unknown tags between known ones are kept and written back in tag order', () => {
    // ApiVersionsResponse v3 with tags 1 (known: FinalizedFeaturesEpoch), 4 (unknown), 3 (known).
    const frame = bytes(0, 0, 1, 0, 0, 0, 0, 3, 1, 8, 0, 0, 0, 0, 0, 0, 0, 7, 4, 1, 0x55, 3, 1, 1);
    const decoded = decodeApiVersionsResponse(new Reader(frame), 3);
    expect(decoded).toEqual({
      ...defaultApiVersionsResponse(),
      finalizedFeaturesEpoch: 7n,
      zkMigrationReady: true,
      unknownTaggedFields: [{ tag: 4, data: bytes(0x55) }],
    });
    const again = encoded((writer) => encodeApiVersionsResponse(writer, decoded, 3));
    expect(again.toString('hex')).toBe(
      Buffer.from(bytes(0, 0, 1, 0, 0, 0, 0, 3, 1, 8, 0, 0, 0, 0, 0, 0, 0, 7, 3, 1, 1, 4, 1, 0x55)).toString(
        'hex',
      ),
    );
  });
});

describe('api keys', () => {
  it('every vendored API is in the table; SaslHandshake advertised from v0 (librdkafka requires it)', () => {
    expect(KAFKA_APIS.map((api) => api.name).sort()).toEqual(generatedApis.map((api) => api.name).sort());
    expect(KAFKA_APIS).toHaveLength(34);
    expect(apiByKey(17)?.advertised).toEqual({ lowest: 0, highest: 1 });
    expect(apiByKey(0)?.advertised?.lowest).toBe(0);
    expect(apiByKey(9999)).toBeUndefined();
  });

  it('header versions: v2/v1 for flexible versions, and ApiVersions answers with response header v0', () => {
    const metadata = apiByKey(3)!;
    expect([requestHeaderVersion(metadata, 8), requestHeaderVersion(metadata, 9)]).toEqual([1, 2]);
    expect([responseHeaderVersion(metadata, 8), responseHeaderVersion(metadata, 9)]).toEqual([0, 1]);
    const apiVersions = apiByKey(18)!;
    expect([requestHeaderVersion(apiVersions, 3), responseHeaderVersion(apiVersions, 3)]).toEqual([2, 0]);
    const describeCluster = apiByKey(60)!;
    expect([requestHeaderVersion(describeCluster, 0), responseHeaderVersion(describeCluster, 0)]).toEqual([
      2, 1,
    ]);
  });
});

interface Codec {
  encode: (writer: Writer, message: unknown, version: number) => void;
  decode: (reader: Reader, version: number) => unknown;
}

const codecs = new Map<string, Codec>(
  await Promise.all(
    loadMessageSchemas().map(async (message): Promise<[string, Codec]> => {
      const file = message.name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
      const module = (await import(`../../src/kafka/protocol/generated/${file}.ts`)) as Record<
        string,
        unknown
      >;
      return [
        message.name,
        {
          encode: module[`encode${message.name}`] as Codec['encode'],
          decode: module[`decode${message.name}`] as Codec['decode'],
        },
      ];
    }),
  ),
);
