import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HardStateWriter, readHardStateFile } from '../../../raft/storage/hard-state-file.ts';
import { logIndex, nodeId, term } from '../../../raft/types.ts';

const SLOT_BYTES = 40;
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hardstate-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const hardStateArbitrary = fc.record({
  term: fc.nat().map(term),
  vote: fc.nat().map(nodeId),
  commit: fc.maxSafeNat().map(logIndex),
});

describe('hard state file (two slots, written in place)', () => {
  it('reads back the last of any sequence of writes, across reopen', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(hardStateArbitrary, { minLength: 1, maxLength: 6 }), async (states) => {
        await rm(join(dir, 'hardstate'), { force: true });
        let sequence = 0;
        for (const state of states) {
          const writer = new HardStateWriter(dir, sequence);
          await writer.write(state);
          await writer.close();
          const stored = await readHardStateFile(dir);
          expect(stored?.hardState).toEqual(state);
          sequence = stored!.sequence;
        }
      }),
      { numRuns: 30 },
    );
  });

  it('returns null when never written', async () => {
    expect(await readHardStateFile(dir)).toBeNull();
  });

  it('falls back to the previous state when the newest slot is torn', async () => {
    const writer = new HardStateWriter(dir, 0);
    await writer.write({ term: term(1), vote: nodeId(1), commit: logIndex(1) });
    await writer.write({ term: term(2), vote: nodeId(3), commit: logIndex(5) });
    await writer.close();
    // The second write went to slot 0 (sequence 2); tear it.
    const handle = await open(join(dir, 'hardstate'), 'r+');
    await handle.write(Buffer.from([0xff, 0xff, 0xff]), 0, 3, 12);
    await handle.close();
    expect((await readHardStateFile(dir))?.hardState).toEqual({ term: 1, vote: 1, commit: 1 });
  });

  it('throws when neither slot is valid', async () => {
    const writer = new HardStateWriter(dir, 0);
    await writer.write({ term: term(1), vote: nodeId(1), commit: logIndex(1) });
    await writer.close();
    const bytes = await readFile(join(dir, 'hardstate'));
    expect(bytes.length).toBe(2 * SLOT_BYTES);
    const handle = await open(join(dir, 'hardstate'), 'r+');
    await handle.write(Buffer.from([0x01]), 0, 1, SLOT_BYTES + 10);
    await handle.close();
    await expect(readHardStateFile(dir)).rejects.toThrow(/no valid hard state slot/);
  });
});
