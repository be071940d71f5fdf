// Property: every generated message, at every valid version, decodes to what was encoded, reads its
// frame to the end, and encodes again to the same bytes. Replay a failure with KAFKA_SEED=<seed>.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadMessageSchemas, type MessageSchema } from '../../scripts/kafka-protocol/schema.ts';
import { Reader } from '../../src/kafka/protocol/reader.ts';
import { Writer } from '../../src/kafka/protocol/writer.ts';
import { fcParameters, messageArbitrary, versionsOf } from './schema-arbitraries.ts';

const RUNS = Number(process.env.KAFKA_RUNS ?? 25);

interface Codec {
  encode: (writer: Writer, message: unknown, version: number) => void;
  decode: (reader: Reader, version: number) => unknown;
}

async function codecOf(message: MessageSchema): Promise<Codec> {
  const file = message.name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
  const module = (await import(`../../src/kafka/protocol/generated/${file}.ts`)) as Record<string, unknown>;
  return {
    encode: module[`encode${message.name}`] as Codec['encode'],
    decode: module[`decode${message.name}`] as Codec['decode'],
  };
}

const messages = loadMessageSchemas();

describe('generated codecs round-trip', () => {
  it('covers every vendored schema', () => {
    expect(messages.length).toBe(72);
  });

  for (const message of messages) {
    it(`${message.name} at versions ${message.validVersions.lowest}-${message.validVersions.highest}`, async () => {
      const codec = await codecOf(message);
      for (const version of versionsOf(message)) {
        fc.assert(
          fc.property(messageArbitrary(message, version), (value) => {
            const writer = new Writer(16);
            codec.encode(writer, value, version);
            const bytes = writer.toBuffer();
            const reader = new Reader(bytes);
            const decoded = codec.decode(reader, version);
            expect(reader.remaining, `${message.name} v${version} left bytes unread`).toBe(0);
            expect(decoded).toEqual(value);
            const again = new Writer();
            codec.encode(again, decoded, version);
            expect(again.toBuffer().equals(bytes)).toBe(true);
          }),
          fcParameters(RUNS),
        );
      }
    });
  }
});
