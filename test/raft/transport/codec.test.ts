import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBatch, encodeBatch, RaftCodecError } from '../../../raft/transport/codec.ts';
import type { MessageBatch } from '../../../raft/transport/codec.ts';
import type { Entry, Message, Snapshot } from '../../../raft/types.ts';
import { logIndex, nodeId, term } from '../../../raft/types.ts';

// Small values are the common case, MAX_SAFE_INTEGER the edge of what the codec accepts.
const safeNat = fc.oneof(fc.nat({ max: 1000 }), fc.maxSafeNat(), fc.constant(Number.MAX_SAFE_INTEGER));
const termArb = safeNat.map(term);
const indexArb = safeNat.map(logIndex);
const nodeIdArb = fc.integer({ min: 1, max: 0xffff_ffff }).map(nodeId);
const bytesArb = fc.uint8Array({ maxLength: 64 });

const entryArb: fc.Arbitrary<Entry> = fc.record({
  term: termArb,
  index: indexArb,
  type: fc.constantFrom(0 as const, 1 as const),
  data: bytesArb,
});

const snapshotArb: fc.Arbitrary<Snapshot> = fc.record({
  metadata: fc.record({
    index: indexArb,
    term: termArb,
    membership: fc.record({ voters: fc.array(nodeIdArb, { maxLength: 7 }) }),
  }),
  data: fc.uint8Array({ maxLength: 1024 }),
});

const baseArb = fc.record({ from: nodeIdArb, to: nodeIdArb, term: termArb });

const variantArbs: fc.Arbitrary<Message>[] = [
  fc.record({
    type: fc.constantFrom('vote' as const, 'preVote' as const),
    lastLogIndex: indexArb,
    lastLogTerm: termArb,
    transfer: fc.boolean(),
  }),
  fc.record({
    type: fc.constantFrom('voteResponse' as const, 'preVoteResponse' as const),
    reject: fc.boolean(),
  }),
  fc.record({
    type: fc.constant('append' as const),
    prevIndex: indexArb,
    prevTerm: termArb,
    entries: fc.array(entryArb, { maxLength: 8 }),
    commit: indexArb,
  }),
  fc.record({
    type: fc.constant('appendResponse' as const),
    reject: fc.boolean(),
    index: indexArb,
    rejectHint: indexArb,
    rejectHintTerm: termArb,
  }),
  fc.record({ type: fc.constant('heartbeat' as const), commit: indexArb, readRound: indexArb }),
  fc.record({ type: fc.constant('heartbeatResponse' as const), lastIndex: indexArb, readRound: indexArb }),
  fc.record({ type: fc.constant('snapshot' as const), snapshot: snapshotArb }),
  fc.record({ type: fc.constant('timeoutNow' as const) }),
  fc.record({ type: fc.constant('observe' as const), lastIndex: indexArb }),
].map((variant) => fc.tuple(baseArb, variant).map(([base, body]): Message => ({ ...base, ...body })));

const messageArb = fc.oneof(...variantArbs);

const batchArb: fc.Arbitrary<MessageBatch> = fc.record({
  from: nodeIdArb,
  fromAddress: fc.oneof(fc.constant(''), fc.constant('127.0.0.1:9093'), fc.string({ maxLength: 40 })),
  messages: fc.array(messageArb, { maxLength: 12 }),
});

/** Decoding either succeeds or throws RaftCodecError; anything else fails the property. */
function decodesOrRejects(bytes: Uint8Array): void {
  try {
    decodeBatch(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(RaftCodecError);
  }
}

describe('raft codec', () => {
  it('round-trips every message variant exactly', () => {
    fc.assert(
      fc.property(batchArb, (batch) => {
        expect(decodeBatch(encodeBatch(batch))).toEqual(batch);
      }),
      { numRuns: 500 },
    );
  });

  it('covers each variant with a single-message batch', () => {
    for (const variant of variantArbs) {
      fc.assert(
        fc.property(variant, (message) => {
          const [decoded] = decodeBatch(
            encodeBatch({ from: message.from, fromAddress: 'h:1', messages: [message] }),
          ).messages;
          expect(decoded).toEqual(message);
        }),
        { numRuns: 50 },
      );
    }
  });

  it('decodes bytes as plain Uint8Array copies', () => {
    const data = new Uint8Array([1, 2, 3]);
    const message: Message = {
      type: 'append',
      from: nodeId(1),
      to: nodeId(2),
      term: term(1),
      prevIndex: logIndex(0),
      prevTerm: term(0),
      entries: [{ term: term(1), index: logIndex(1), type: 0, data }],
      commit: logIndex(0),
    };
    const encoded = encodeBatch({ from: nodeId(1), fromAddress: '', messages: [message] });
    const decoded = decodeBatch(encoded).messages[0];
    if (decoded?.type !== 'append') throw new Error('expected an append');
    const decodedData = decoded.entries[0]?.data;
    expect(decodedData?.constructor).toBe(Uint8Array);
    encoded.fill(0);
    expect(decodedData).toEqual(data);
  });

  it('rejects integers beyond Number.MAX_SAFE_INTEGER', () => {
    const unsafe: Message = {
      type: 'heartbeat',
      from: nodeId(1),
      to: nodeId(2),
      term: term(2 ** 53),
      commit: logIndex(0),
      readRound: 0,
    };
    const bytes = encodeBatch({ from: nodeId(1), fromAddress: '', messages: [unsafe] });
    expect(() => decodeBatch(bytes)).toThrow(RaftCodecError);
  });

  it('rejects a batch without a sender or a message without a body', () => {
    expect(() => decodeBatch(new Uint8Array())).toThrow(RaftCodecError);
    // MessageBatch{from: 1, messages: [Message{from: 1, to: 2}]}: no oneof member set.
    expect(() => decodeBatch(new Uint8Array([0x08, 0x01, 0x1a, 0x04, 0x08, 0x01, 0x10, 0x02]))).toThrow(
      RaftCodecError,
    );
  });

  it('rejects an unknown entry type', () => {
    const message: Message = {
      type: 'append',
      from: nodeId(1),
      to: nodeId(2),
      term: term(1),
      prevIndex: logIndex(0),
      prevTerm: term(0),
      entries: [{ term: term(1), index: logIndex(1), type: 7 as 0, data: new Uint8Array() }],
      commit: logIndex(0),
    };
    expect(() => decodeBatch(encodeBatch({ from: nodeId(1), fromAddress: '', messages: [message] }))).toThrow(
      RaftCodecError,
    );
  });

  it('never fails on random bytes with anything but RaftCodecError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), decodesOrRejects), { numRuns: 2000 });
  });

  it('never fails on corrupted valid batches with anything but RaftCodecError', () => {
    const corrupted = fc
      .tuple(
        batchArb,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
      )
      .map(([batch, flips]) => {
        const bytes = new Uint8Array(encodeBatch(batch));
        for (const [position, value] of flips) if (bytes.length > 0) bytes[position % bytes.length] = value;
        return bytes;
      });
    const truncated = fc.tuple(batchArb, fc.nat()).map(([batch, cut]) => {
      const bytes = encodeBatch(batch);
      return bytes.subarray(0, bytes.length === 0 ? 0 : cut % bytes.length);
    });
    fc.assert(fc.property(fc.oneof(corrupted, truncated), decodesOrRejects), { numRuns: 2000 });
  });
});
