import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OffsetSet } from '../../src/common/offset-set.ts';

const SEED = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
const params = { seed: SEED, numRuns: 500 };

type Op =
  | { readonly op: 'add'; readonly offset: number }
  | { readonly op: 'delete'; readonly offset: number }
  | { readonly op: 'deleteBelow'; readonly offset: number };

const offsetArb = fc.nat({ max: 60 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: offsetArb.map((offset) => ({ op: 'add' as const, offset })) },
  { weight: 2, arbitrary: offsetArb.map((offset) => ({ op: 'delete' as const, offset })) },
  { weight: 1, arbitrary: offsetArb.map((offset) => ({ op: 'deleteBelow' as const, offset })) },
);

describe(`OffsetSet (seed ${SEED}; rerun with FC_SEED=${SEED})`, () => {
  it('behaves as a set of numbers', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 120 }), (ops) => {
        const set = new OffsetSet();
        const model = new Set<number>();
        for (const { op, offset } of ops) {
          if (op === 'add') {
            set.add(offset);
            model.add(offset);
          } else if (op === 'delete') {
            expect(set.delete(offset)).toBe(model.delete(offset));
          } else {
            set.deleteBelow(offset);
            for (const o of [...model]) if (o < offset) model.delete(o);
          }
          expect([...set]).toEqual([...model].sort((a, b) => a - b));
          for (let o = 0; o <= 61; o++) expect(set.has(o)).toBe(model.has(o));
          expect(set.empty).toBe(model.size === 0);
        }
        // Ranges never touch: as few as the offsets allow.
        const sorted = [...model].sort((a, b) => a - b);
        const runs = sorted.filter((o, i) => i === 0 || sorted[i - 1] !== o - 1).length;
        expect(set.rangeCount).toBe(runs);
      }),
      params,
    );
  });

  it('keeps a run of consecutive offsets as one range', () => {
    const set = new OffsetSet();
    for (let o = 1000; o < 101_000; o++) set.add(o);
    expect(set.rangeCount).toBe(1);
    set.delete(5000);
    expect(set.rangeCount).toBe(2);
    set.deleteBelow(6000);
    expect(set.rangeCount).toBe(1);
    expect(set.has(5999)).toBe(false);
    expect(set.has(6000)).toBe(true);
    expect(() => set.add(-1)).toThrow();
  });
});
