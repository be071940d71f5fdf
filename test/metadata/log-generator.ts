// Random valid metadata logs, as a controller would write them. fast-check generates abstract
// operations with random choices; `buildLog` interprets them in order against the image built so far
// (controller-model.ts). Shrinking works on the operations, so a failure shrinks to few of them.

import fc from 'fast-check';
import type { MetadataOffset } from '../../src/metadata/ids.ts';
import { metadataOffset } from '../../src/metadata/ids.ts';
import type { MetadataImage } from '../../src/metadata/image.ts';
import { emptyImage } from '../../src/metadata/image.ts';
import type { MetadataRecord } from '../../src/metadata/records.ts';
import { applyBatch } from '../../src/metadata/reducer.ts';
import type { Op } from './controller-model.ts';
import { OP_KINDS, operationRecords } from './controller-model.ts';

export type { Op } from './controller-model.ts';

const kindArb = fc.oneof(
  { arbitrary: fc.constantFrom('register' as const, 'unfence' as const), weight: 2 },
  { arbitrary: fc.constant('createTopic' as const), weight: 3 },
  { arbitrary: fc.constantFrom(...OP_KINDS), weight: 12 },
);

export const opArb: fc.Arbitrary<Op> = fc.record({
  kind: kindArb,
  a: fc.nat({ max: 1000 }),
  b: fc.nat({ max: 1000 }),
  c: fc.nat({ max: 1000 }),
  flag: fc.boolean(),
  uuid: fc.uuid(),
  gap: fc.oneof({ arbitrary: fc.constant(0), weight: 4 }, { arbitrary: fc.nat({ max: 3 }), weight: 1 }),
});

export interface LogBatch {
  readonly offset: MetadataOffset;
  readonly records: readonly MetadataRecord[];
}

/** A few brokers register first (there is little to do without them), then anything happens. */
export const opsArb: fc.Arbitrary<Op[]> = fc
  .tuple(
    fc.array(
      opArb.map((op): Op => ({ ...op, kind: 'register' })),
      { minLength: 1, maxLength: 5 },
    ),
    fc.array(opArb, { minLength: 1, maxLength: 60, size: 'medium' }),
  )
  .map(([registrations, ops]) => [...registrations, ...ops]);

/** Interprets `ops` into a valid log; returns it with the image it leads to. */
export function buildLog(ops: readonly Op[]): { log: LogBatch[]; image: MetadataImage } {
  let image = emptyImage();
  const log: LogBatch[] = [];
  for (const op of ops) {
    const records = operationRecords(image, op);
    if (records.length === 0) continue;
    const offset = metadataOffset(image.offset + 1 + op.gap);
    image = applyBatch(image, records, offset);
    log.push({ offset, records });
  }
  return { log, image };
}

export function applyLog(image: MetadataImage, log: readonly LogBatch[]): MetadataImage {
  return log.reduce((current, batch) => applyBatch(current, batch.records, batch.offset), image);
}
