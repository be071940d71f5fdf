import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEAD_LETTER_HEADERS,
  type DeadLetterPolicy,
  type DeadLetterState,
  deadLetterHeaders,
  defaultDeadLetterTopic,
  deliveryOf,
  type HeaderLike,
  isDeadLetterTopicName,
  readDeadLetterState,
  rejectedState,
} from '../../src/common/dead-letter.ts';

const SEED = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
const params = { seed: SEED, numRuns: 300 };

const POLICY: DeadLetterPolicy = { topic: 'orders.dlq', maxDeliveryAttempts: 3, retryDelayMs: 1500 };
const ORIGIN = { topic: 'orders', partition: 2, offset: 41, timestamp: 1_700_000_000_000 };

const header = (key: string, value: string | null): HeaderLike => ({
  key,
  value: value === null ? null : Buffer.from(value),
});

const stateArb: fc.Arbitrary<DeadLetterState> = fc.record({
  origin: fc.record({
    topic: fc.stringMatching(/^[a-zA-Z0-9._-]{1,40}$/),
    partition: fc.nat({ max: 100_000 }),
    offset: fc.maxSafeNat(),
    timestamp: fc.integer({ min: -1, max: 2 ** 45 }),
  }),
  groupId: fc.string({ minLength: 0, maxLength: 30 }),
  attempts: fc.integer({ min: 1, max: 1000 }),
  reason: fc.option(fc.string({ maxLength: 100 }), { nil: null }),
  retryAt: fc.option(fc.nat({ max: 2 ** 50 }), { nil: null }),
});

const headersArb: fc.Arbitrary<HeaderLike[]> = fc.array(
  fc.record({
    key: fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom(...Object.values(DEAD_LETTER_HEADERS))),
    value: fc.option(
      fc.uint8Array({ maxLength: 20 }).map((bytes) => Buffer.from(bytes)),
      { nil: null },
    ),
  }),
  { maxLength: 8 },
);

describe(`dead-letter rules (seed ${SEED}; rerun with FC_SEED=${SEED})`, () => {
  it('names dead-letter topics <topic>.dlq', () => {
    expect(defaultDeadLetterTopic('orders')).toBe('orders.dlq');
    expect(isDeadLetterTopicName('orders.dlq')).toBe(true);
    expect(isDeadLetterTopicName('orders')).toBe(false);
    expect(isDeadLetterTopicName('orders.dlqx')).toBe(false);
  });

  it('counts attempts: each rejection one more, final (no retry time) once it reaches the maximum', () => {
    const first = rejectedState({
      origin: ORIGIN,
      groupId: 'g',
      previousAttempts: 0,
      reason: 'bad',
      now: 1000,
      policy: POLICY,
    });
    expect(first).toEqual({ origin: ORIGIN, groupId: 'g', attempts: 1, reason: 'bad', retryAt: 2500 });
    const second = rejectedState({ ...first, previousAttempts: 1, reason: null, now: 3000, policy: POLICY });
    expect(second).toMatchObject({ attempts: 2, reason: null, retryAt: 4500 });
    const third = rejectedState({ ...first, previousAttempts: 2, reason: 'x', now: 5000, policy: POLICY });
    expect(third).toMatchObject({ attempts: 3, retryAt: null });
    // max.delivery.attempts=1: the first rejection is final.
    expect(
      rejectedState({ ...first, previousAttempts: 0, now: 0, policy: { ...POLICY, maxDeliveryAttempts: 1 } })
        .retryAt,
    ).toBeNull();
    expect(() => rejectedState({ ...first, previousAttempts: -1, now: 0, policy: POLICY })).toThrow();
  });

  it('final exactly when attempts reach max.delivery.attempts; due exactly retry.delay.ms later', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 50 }),
        fc.integer({ min: 1, max: 50 }),
        fc.nat({ max: 1_000_000 }),
        fc.nat({ max: 2 ** 45 }),
        (previous, max, delay, now) => {
          const state = rejectedState({
            origin: ORIGIN,
            groupId: 'g',
            previousAttempts: previous,
            reason: null,
            now,
            policy: { topic: 't.dlq', maxDeliveryAttempts: max, retryDelayMs: delay },
          });
          expect(state.attempts).toBe(previous + 1);
          expect(state.retryAt).toBe(previous + 1 >= max ? null : now + delay);
        },
      ),
      params,
    );
  });

  it('reads back the state it writes, whatever dlq.* headers the record carried before', () => {
    fc.assert(
      fc.property(stateArb, headersArb, (state, original) => {
        const headers = deadLetterHeaders(original, state);
        expect(readDeadLetterState(headers)).toEqual(state);
        // The record's own headers come first, in order; every dlq.* one of them is replaced.
        const own = original.filter((h) => !h.key.startsWith('dlq.'));
        expect(headers.slice(0, own.length)).toEqual(own);
        expect(headers.slice(own.length).every((h) => h.key.startsWith('dlq.'))).toBe(true);
      }),
      params,
    );
  });

  it('refuses headers that are not a whole, well-formed state', () => {
    const good = deadLetterHeaders([], {
      origin: ORIGIN,
      groupId: 'g',
      attempts: 1,
      reason: null,
      retryAt: 5,
    });
    expect(readDeadLetterState(good)).not.toBeNull();
    expect(readDeadLetterState([])).toBeNull();
    for (const name of [
      DEAD_LETTER_HEADERS.originTopic,
      DEAD_LETTER_HEADERS.originPartition,
      DEAD_LETTER_HEADERS.originOffset,
      DEAD_LETTER_HEADERS.originTimestamp,
      DEAD_LETTER_HEADERS.groupId,
      DEAD_LETTER_HEADERS.attempts,
    ]) {
      expect(readDeadLetterState(good.filter((h) => h.key !== name))).toBeNull();
    }
    for (const [name, value] of [
      [DEAD_LETTER_HEADERS.attempts, '0'],
      [DEAD_LETTER_HEADERS.attempts, '01'],
      [DEAD_LETTER_HEADERS.attempts, '1.5'],
      [DEAD_LETTER_HEADERS.originOffset, '-1'],
      [DEAD_LETTER_HEADERS.originPartition, 'x'],
      [DEAD_LETTER_HEADERS.retryAt, ''],
      [DEAD_LETTER_HEADERS.retryAt, null],
      [DEAD_LETTER_HEADERS.retryAt, '99999999999999999999'],
    ] as const) {
      expect(readDeadLetterState([...good, header(name, value)]), `${name}=${value}`).toBeNull();
    }
  });

  it("delivers a group's own retries once due, holds them before, never delivers others or finals", () => {
    const state: DeadLetterState = { origin: ORIGIN, groupId: 'g', attempts: 1, reason: null, retryAt: 100 };
    const reader = { now: 99, groupId: 'g', origins: new Set(['orders']) };
    expect(deliveryOf(state, reader)).toEqual({ kind: 'hold', until: 100 });
    expect(deliveryOf(state, { ...reader, now: 100 })).toEqual({ kind: 'deliver' });
    expect(deliveryOf(state, { ...reader, now: 100, groupId: 'h' })).toEqual({
      kind: 'skip',
      why: 'other-group',
    });
    expect(deliveryOf(state, { ...reader, now: 100, origins: new Set(['x']) })).toEqual({
      kind: 'skip',
      why: 'other-origin',
    });
    expect(deliveryOf({ ...state, retryAt: null }, reader)).toEqual({ kind: 'skip', why: 'final' });
    expect(deliveryOf(null, reader)).toEqual({ kind: 'skip', why: 'not-dead-letter' });
  });

  it('a held record is delivered at every later time (the due check is monotonic)', () => {
    fc.assert(
      fc.property(stateArb, fc.nat({ max: 2 ** 50 }), fc.nat({ max: 2 ** 40 }), (state, now, later) => {
        const reader = { now, groupId: state.groupId, origins: new Set([state.origin.topic]) };
        const delivery = deliveryOf(state, reader);
        const after = deliveryOf(state, { ...reader, now: now + later });
        if (delivery.kind === 'deliver') expect(after.kind).toBe('deliver');
        if (delivery.kind === 'skip') expect(after).toEqual(delivery);
        if (delivery.kind === 'hold') {
          expect(now).toBeLessThan(delivery.until);
          expect(after.kind).toBe(now + later >= delivery.until ? 'deliver' : 'hold');
        }
      }),
      params,
    );
  });
});
