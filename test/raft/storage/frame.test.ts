import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeEntryPayload, encodeEntryFrame } from '../../../raft/storage/entry-frame.ts';
import { FRAME_HEADER_BYTES, readFrame } from '../../../raft/storage/frame.ts';
import { decodeSnapshot, encodeSnapshot } from '../../../raft/storage/snapshot-file.ts';
import { type Entry, EntryType, logIndex, nodeId, term } from '../../../raft/types.ts';

const safeNatural = fc.maxSafeNat();
const entryArbitrary = fc.record({
  term: safeNatural.map(term),
  index: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }).map(logIndex),
  type: fc.constantFrom(EntryType.Normal, EntryType.Config),
  data: fc.oneof(
    { arbitrary: fc.constant(new Uint8Array(0)), weight: 2 },
    { arbitrary: fc.uint8Array({ maxLength: 64 }), weight: 8 },
    {
      arbitrary: fc
        .integer({ min: 70_000, max: 200_000 })
        .map((bytes) => new Uint8Array(bytes).fill(bytes & 0xff)),
      weight: 1,
    },
  ),
});

function decodeFrame(frame: Buffer): Entry | null {
  const read = readFrame(frame, 0);
  expect(read.status).toBe('ok');
  return read.status === 'ok' ? decodeEntryPayload(read.payload) : null;
}

describe('entry frame codec', () => {
  it('round-trips any entry, including empty and large data', () => {
    fc.assert(
      fc.property(entryArbitrary, (entry) => {
        const frame = encodeEntryFrame(entry);
        expect(frame.length).toBe(FRAME_HEADER_BYTES + 17 + entry.data.length);
        expect(decodeFrame(frame)).toEqual(entry);
      }),
    );
  });

  it('round-trips a sequence of frames read back from one buffer', () => {
    fc.assert(
      fc.property(fc.array(entryArbitrary, { maxLength: 8 }), (entries) => {
        const buffer = Buffer.concat(entries.map(encodeEntryFrame));
        const decoded: (Entry | null)[] = [];
        for (let offset = 0; offset < buffer.length; ) {
          const read = readFrame(buffer, offset);
          if (read.status !== 'ok') throw new Error(`frame at ${offset}: ${read.status}`);
          decoded.push(decodeEntryPayload(read.payload));
          offset = read.endBytes;
        }
        expect(decoded).toEqual(entries);
      }),
    );
  });

  it('detects any single corrupted byte and any truncation', () => {
    const small = entryArbitrary.filter((entry) => entry.data.length < 1000);
    fc.assert(
      fc.property(small, fc.nat(), fc.integer({ min: 1, max: 255 }), (entry, at, flip) => {
        const frame = encodeEntryFrame(entry);
        const corrupted = Buffer.from(frame);
        const position = at % frame.length;
        corrupted[position] = corrupted[position]! ^ flip;
        expect(readFrame(corrupted, 0).status).not.toBe('ok');
        expect(readFrame(frame.subarray(0, at % frame.length), 0).status).toBe('incomplete');
      }),
    );
  });
});

describe('hard state and snapshot codecs', () => {
  it('round-trip', () => {
    const snapshotArbitrary = fc.record({
      metadata: fc.record({
        index: safeNatural.map(logIndex),
        term: safeNatural.map(term),
        membership: fc.record({ voters: fc.array(safeNatural.map(nodeId), { maxLength: 7 }) }),
      }),
      data: fc.uint8Array({ maxLength: 256 }),
    });
    fc.assert(
      fc.property(snapshotArbitrary, (snapshot) => {
        expect(decodeSnapshot(encodeSnapshot(snapshot), 'snap')).toEqual(snapshot);
      }),
    );
  });
});
