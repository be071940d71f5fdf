import { describe, expect, it } from 'vitest';
import { RaftDriver, ReadIndexError, type StateMachine } from '../../raft/driver.ts';
import { seededRandom } from '../../raft/random.ts';
import {
  type Entry,
  type HardState,
  type Message,
  nodeId,
  type PersistentState,
  type RaftStorage,
  type RaftTransport,
  type Snapshot,
} from '../../raft/types.ts';
import { MemoryDisk } from './harness.ts';

/** RaftStorage over a MemoryDisk whose sync can be made to fail, as a disk that returns EIO. */
class FlakyStorage implements RaftStorage {
  readonly disk = new MemoryDisk();
  failSyncs = false;
  syncs = 0;
  async load(): Promise<PersistentState> {
    return this.disk.state();
  }
  saveSnapshot(snapshot: Snapshot): void {
    this.disk.saveSnapshot(snapshot);
  }
  append(entries: readonly Entry[]): void {
    this.disk.append(entries);
  }
  setHardState(hardState: HardState): void {
    this.disk.hardState = hardState;
  }
  async sync(): Promise<void> {
    this.syncs++;
    if (this.failSyncs) throw new Error('EIO: fsync failed');
  }
  async close(): Promise<void> {}
}

const silentTransport: RaftTransport = {
  send(_messages: readonly Message[]): void {},
  onMessage(): void {},
  async close(): Promise<void> {},
};

class ListStateMachine implements StateMachine {
  readonly values: string[] = [];
  apply(entries: readonly Entry[]): void {
    for (const entry of entries)
      if (entry.data.length > 0) this.values.push(new TextDecoder().decode(entry.data));
  }
  restore(): void {}
}

async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe('RaftDriver', () => {
  it('commits and applies proposals on a single voter, one fsync for many (group commit)', async () => {
    const storage = new FlakyStorage();
    const stateMachine = new ListStateMachine();
    const driver = await RaftDriver.start({
      id: nodeId(1),
      voters: [nodeId(1)],
      storage,
      transport: silentTransport,
      stateMachine,
      random: seededRandom(1),
      tickMs: 1,
    });
    await waitFor(() => driver.status().role === 'leader');
    const syncsBefore = storage.syncs;
    const positions = await Promise.all(
      Array.from({ length: 100 }, (_, i) => driver.propose(new TextEncoder().encode(`v${i}`))),
    );
    expect(stateMachine.values).toEqual(Array.from({ length: 100 }, (_, i) => `v${i}`));
    expect(new Set(positions.map((position) => position.index)).size).toBe(100);
    expect(storage.syncs - syncsBefore).toBeLessThan(10);
    await driver.stop();
  });

  it('stops for good when storage fails: fatal listeners are told, proposals rejected', async () => {
    const storage = new FlakyStorage();
    const driver = await RaftDriver.start({
      id: nodeId(1),
      voters: [nodeId(1)],
      storage,
      transport: silentTransport,
      stateMachine: new ListStateMachine(),
      random: seededRandom(2),
      tickMs: 1,
    });
    await waitFor(() => driver.status().role === 'leader');
    const fatal: Error[] = [];
    driver.onFatal((error) => fatal.push(error));
    storage.failSyncs = true;
    await expect(driver.propose(new Uint8Array([1]))).rejects.toThrow(/EIO/);
    expect(fatal.map((error) => error.message)).toEqual(['EIO: fsync failed']);
    expect(driver.fatalError()?.message).toBe('EIO: fsync failed');
    await expect(driver.propose(new Uint8Array([2]))).rejects.toThrow(/stopped/);
    // A listener registered after the loop stopped (a node that failed while replaying its log at
    // start) is told too, or the node would serve on without its metadata.
    const late = await new Promise<Error>((resolve) => driver.onFatal(resolve));
    expect(late.message).toBe('EIO: fsync failed');
    await driver.stop();
  });

  it('answers a read index on a leader, refuses it on a node that does not lead and once stopped', async () => {
    const single = await RaftDriver.start({
      id: nodeId(1),
      voters: [nodeId(1)],
      storage: new FlakyStorage(),
      transport: silentTransport,
      stateMachine: new ListStateMachine(),
      random: seededRandom(3),
      tickMs: 1,
    });
    await waitFor(() => single.status().role === 'leader');
    const { index } = await single.propose(new Uint8Array([1]));
    expect(await single.readIndex()).toBeGreaterThanOrEqual(index);
    await single.stop();
    await expect(single.readIndex()).rejects.toThrow(ReadIndexError);

    // One of three voters that hears from no one never leads: refused at once, not left hanging.
    const follower = await RaftDriver.start({
      id: nodeId(1),
      voters: [nodeId(1), nodeId(2), nodeId(3)],
      storage: new FlakyStorage(),
      transport: silentTransport,
      stateMachine: new ListStateMachine(),
      random: seededRandom(4),
      tickMs: 1,
    });
    const refused = await follower.readIndex().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ReadIndexError);
    expect((refused as ReadIndexError).reason).toBe('notLeader');
    await follower.stop();
  });
});
