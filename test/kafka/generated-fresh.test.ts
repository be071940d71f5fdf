// The committed codecs are what the generator writes from the vendored schemas (npm run gen:kafka).
import { expect, it } from 'vitest';
import { staleFiles } from '../../scripts/gen-kafka-protocol.ts';

it('src/kafka/protocol/generated is up to date with proto/kafka', () => {
  expect(staleFiles()).toEqual([]);
});
