import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StickyPartitioner, murmur2, partitionForKey, toPositive } from '../../src/common/partitioner.ts';

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');

describe('murmur2', () => {
  // org.apache.kafka.common.utils.UtilsTest.testMurmur2
  it.each([
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ])('hashes %s as Kafka UtilsTest says', (text, expected) => {
    expect(murmur2(bytes(text))).toBe(expected);
  });

  // kafkajs src/producer/partitioners/defaultJava/murmur2.spec.js, generated with Kafka's Java murmur2
  // (its Test.java): every tail length 0..3 and whole blocks. (kafkajs' older "default" partitioner
  // is not Java-compatible; its vectors differ.)
  it.each([
    ['0', 971027396],
    ['1', -1993445489],
    ['128', -326012175],
    ['2187', -1508407203],
    ['16384', -325739742],
    ['78125', -1654490814],
    ['279936', 1462227128],
    ['823543', -2014198330],
    ['2097152', 607668903],
    ['4782969', -1182699775],
    ['10000000', -1830336757],
    ['19487171', -1603849305],
    ['35831808', -857013643],
    ['62748517', -1167431028],
    ['105413504', -381294639],
    ['170859375', -1658323481],
    ['100:48069', 1009543857],
  ])('hashes %s as the Java client', (text, expected) => {
    expect(murmur2(bytes(text))).toBe(expected);
  });

  it('hashes bytes >= 0x80 as unsigned (Java masks with 0xff)', () => {
    const data = Buffer.from([0xff, 0x80, 0xfe, 0x81, 0xc3]);
    expect(murmur2(data)).toBe(murmur2(new Uint8Array(data)));
    expect(Number.isInteger(murmur2(data))).toBe(true);
  });

  it('always returns a signed 32-bit integer', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (data) => {
        const h = murmur2(data);
        return Number.isInteger(h) && h >= -0x8000_0000 && h <= 0x7fff_ffff;
      }),
    );
  });
});

describe('partitionForKey', () => {
  it('is toPositive(murmur2) % n', () => {
    // -790332482 & 0x7fffffff = 1357151166
    expect(toPositive(-790332482)).toBe(1357151166);
    expect(partitionForKey(bytes('foobar'), 12)).toBe(1357151166 % 12);
    expect(partitionForKey(bytes('abc'), 3)).toBe(479470107 % 3);
  });

  it('stays within [0, n)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 32 }), fc.integer({ min: 1, max: 1000 }), (key, n) => {
        const p = partitionForKey(key, n);
        return p >= 0 && p < n;
      }),
    );
  });
});

describe('StickyPartitioner', () => {
  it('keeps one partition until switchBytes went to it, then moves to another', () => {
    const draws: number[] = [];
    const sticky = new StickyPartitioner({
      switchBytes: 100,
      random: (bound) => {
        draws.push(bound);
        return 0;
      },
    });
    expect(sticky.partition('t', 4, 60)).toBe(0);
    expect(sticky.partition('t', 4, 60)).toBe(0); // 120 bytes now: the next record moves
    expect(sticky.partition('t', 4, 10)).toBe(1); // drawn 0 among the 3 others: skips the previous 0
    expect(draws).toEqual([4, 3]);
  });

  it('keeps a partition per topic', () => {
    let next = 0;
    const sticky = new StickyPartitioner({ random: () => next++ });
    expect(sticky.partition('a', 5, 1)).toBe(0);
    expect(sticky.partition('b', 5, 1)).toBe(1);
    expect(sticky.partition('a', 5, 1)).toBe(0);
  });

  it('redraws when the partition no longer exists, and uses 0 of a single partition', () => {
    const sticky = new StickyPartitioner({ random: (bound) => bound - 1 });
    expect(sticky.partition('t', 8, 1)).toBe(7);
    expect(sticky.partition('t', 3, 1)).toBe(2);
    expect(sticky.partition('u', 1, 1)).toBe(0);
  });

  it('spreads over every partition in time, never beyond', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.integer(), (n, seed) => {
        let state = seed;
        const sticky = new StickyPartitioner({
          switchBytes: 10,
          random: (bound) => {
            state = (Math.imul(state, 1103515245) + 12345) | 0;
            return toPositive(state) % bound;
          },
        });
        const seen = new Set<number>();
        for (let i = 0; i < 2000; i++) seen.add(sticky.partition('t', n, 10));
        return [...seen].every((p) => p >= 0 && p < n) && (n === 1 || seen.size > 1);
      }),
    );
  });
});
