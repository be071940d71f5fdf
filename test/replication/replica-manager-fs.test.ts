// The replica manager's FileSystem port: partition logs live on the file system it is given (the
// whole-cluster simulation gives it sim-fs), not on the real disk.
import { existsSync } from 'node:fs';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Prng } from '../../chaos/sim/prng.ts';
import { SimFileSystem } from '../../chaos/sim/sim-fs.ts';
import {
  brokerEpoch,
  brokerId,
  leaderEpoch,
  metadataOffset,
  partitionEpoch,
  partitionId,
  topicId,
} from '../../src/metadata/ids.ts';
import { emptyImage, type MetadataImage } from '../../src/metadata/image.ts';
import { applyBatch } from '../../src/metadata/reducer.ts';
import { realTimers } from '../../src/node/real-timers.ts';
import { ReplicaManager } from '../../src/replication/replica-manager.ts';
import type { FileSystem } from '../../src/storage/file-system.ts';
import { batch } from './cluster.ts';
import { waitFor } from './helpers.ts';

const B1 = brokerId(1);
const topic = topicId('22222222-3333-4444-8555-666666666666');

/** One broker, one topic `orders` with one partition led by it. */
function ordersImage(): MetadataImage {
  let image = applyBatch(
    emptyImage(),
    [
      {
        type: 'registerBroker',
        brokerId: B1,
        incarnationId: '11111111-2222-4333-8444-555555555555',
        endpoints: [],
        rack: null,
        fenced: false,
        processRoles: ['broker'],
      },
    ],
    metadataOffset(1),
  );
  image = applyBatch(
    image,
    [
      { type: 'topic', name: 'orders', topicId: topic },
      {
        type: 'partition',
        topicId: topic,
        partitionId: partitionId(0),
        replicas: [B1],
        isr: [B1],
        leader: B1,
        leaderEpoch: leaderEpoch(0),
        partitionEpoch: partitionEpoch(0),
      },
    ],
    metadataOffset(2),
  );
  return image;
}

function managerOn(fs: FileSystem, logDir: string): ReplicaManager {
  return new ReplicaManager({
    brokerId: B1,
    logDir,
    fs,
    timers: realTimers,
    lagTimeMaxMs: 1000,
    fetchWaitMaxMs: 50,
    fetchMaxBytes: 1 << 20,
    fetchResponseMaxBytes: 1 << 20,
    fetchBackoffMs: 20,
    minInsyncReplicas: () => 1,
    brokerEpoch: () => brokerEpoch(1),
    alterPartition: async () => {},
    transport: { fetch: () => Promise.reject(new Error('no followers here')), close: async () => {} },
    logger: pino({ level: 'silent' }),
  });
}

/** Hosts orders-0 from the image and appends three records with acks=all, at offsets 0..2. */
async function hostAndAppendThree(manager: ReplicaManager): Promise<void> {
  manager.applyImage(ordersImage());
  await waitFor('the partition hosted', () => manager.hosted(topic, partitionId(0))?.leader() != null);
  const appended = await manager.appendRecords(topic, partitionId(0), batch('v', 3), {
    acks: -1,
    timeoutMs: 1000,
  });
  expect(appended.lastOffset).toBe(2);
}

describe('ReplicaManager on a FileSystem port', () => {
  it('opens, appends to and reads its partition logs through the given file system', async () => {
    const fs = new SimFileSystem({ random: new Prng(5) });
    const logDir = '/kraftling-replica-manager-fs-test';
    const manager = managerOn(fs.mount(), logDir);
    try {
      await hostAndAppendThree(manager);
      expect(fs.listFiles(logDir).some((path) => path.endsWith('.log'))).toBe(true);
      expect(existsSync(logDir)).toBe(false);
    } finally {
      await manager.close();
    }
  });

  it('makes a log directory left by a killed process durable before it acknowledges into it (seed 3677)', async () => {
    // kill -9 keeps the page cache: the killed process's mkdir is visible to its successor, which
    // finds the directories there, while their entries were never fsynced. A power loss after the
    // successor acknowledged records must not take the directories, and the records, with it.
    const fs = new SimFileSystem({ random: new Prng(7) });
    const logDir = '/node-4/data';
    await fs.mount().mkdir(`${logDir}/orders-0`);
    fs.kill();
    const manager = managerOn(fs.mount(), logDir);
    try {
      await hostAndAppendThree(manager);
    } finally {
      await manager.close();
    }
    fs.crash('drop');
    expect(fs.listFiles(logDir).some((path) => path.endsWith('.log'))).toBe(true);
  });

  it('removes a deleted partition without making its log durable first (1,000 deletions took seconds of fsyncs)', async () => {
    const sim = new SimFileSystem({ random: new Prng(11) });
    const logDir = '/node-1/data';
    const writes: string[] = [];
    const fs = recordingWrites(sim.mount(), writes);
    const manager = managerOn(fs, logDir);
    try {
      await hostAndAppendThree(manager);
      await manager.settled();
      writes.length = 0;
      manager.applyImage(
        applyBatch(ordersImage(), [{ type: 'removeTopic', topicId: topic }], metadataOffset(3)),
      );
      await manager.settled();
      expect(manager.hosted(topic, partitionId(0))).toBeUndefined();
      expect(sim.listFiles(logDir)).toEqual([]);
      // The removal itself, and nothing written or fsynced for a log about to go.
      expect(writes).toEqual([`rm ${logDir}/orders-0`]);
    } finally {
      await manager.close();
    }
  });
});

describe('ReplicaManager reconciling an image of many partitions', () => {
  it('opens its new partitions a few at a time, not one after another (1,000 took a node ~14 s)', async () => {
    const sim = new SimFileSystem({ random: new Prng(13) });
    const logDir = '/node-1/data';
    // Every partition's open reads its partition.metadata first: slowed down, the reads in flight at
    // once are the partitions being opened at once.
    const reads = { inFlight: 0, most: 0 };
    const mounted = sim.mount();
    const fs: FileSystem = {
      ...mounted,
      open: (path, mode) => mounted.open(path, mode),
      readdir: (dir) => mounted.readdir(dir),
      mkdir: (dir) => mounted.mkdir(dir),
      rename: (from, to) => mounted.rename(from, to),
      unlink: (path) => mounted.unlink(path),
      rm: (path) => mounted.rm(path),
      syncDir: (dir) => mounted.syncDir(dir),
      readFile: async (path) => {
        if (!path.endsWith('partition.metadata')) return mounted.readFile(path);
        reads.inFlight += 1;
        reads.most = Math.max(reads.most, reads.inFlight);
        try {
          await new Promise((resolve) => setTimeout(resolve, 2));
          return await mounted.readFile(path);
        } finally {
          reads.inFlight -= 1;
        }
      },
    };
    const manager = managerOn(fs, logDir);
    try {
      const partitions = 12;
      manager.applyImage(
        applyBatch(
          ordersImage(),
          Array.from({ length: partitions - 1 }, (_, index) => ({
            type: 'partition' as const,
            topicId: topic,
            partitionId: partitionId(index + 1),
            replicas: [B1],
            isr: [B1],
            leader: B1,
            leaderEpoch: leaderEpoch(0),
            partitionEpoch: partitionEpoch(0),
          })),
          metadataOffset(3),
        ),
      );
      await manager.settled();
      for (let index = 0; index < partitions; index++)
        expect(manager.hosted(topic, partitionId(index))?.leader()).not.toBeNull();
      expect(reads.most).toBeGreaterThan(1);
      expect(reads.most).toBeLessThanOrEqual(4);
    } finally {
      await manager.close();
    }
  });
});

/** `fs`, noting in `writes` every call that writes, fsyncs or removes. */
function recordingWrites(fs: FileSystem, writes: string[]): FileSystem {
  return {
    ...fs,
    open: async (path, mode) => {
      const file = await fs.open(path, mode);
      return {
        read: (position, length) => file.read(position, length),
        write: (position, bytes) => {
          writes.push(`write ${path}`);
          return file.write(position, bytes);
        },
        sync: () => {
          writes.push(`sync ${path}`);
          return file.sync();
        },
        truncate: (size) => {
          writes.push(`truncate ${path}`);
          return file.truncate(size);
        },
        size: () => file.size(),
        close: () => file.close(),
      };
    },
    readFile: (path) => fs.readFile(path),
    readdir: (dir) => fs.readdir(dir),
    mkdir: (dir) => {
      writes.push(`mkdir ${dir}`);
      return fs.mkdir(dir);
    },
    rename: (from, to) => {
      writes.push(`rename ${from}`);
      return fs.rename(from, to);
    },
    unlink: (path) => {
      writes.push(`unlink ${path}`);
      return fs.unlink(path);
    },
    rm: (path) => {
      writes.push(`rm ${path}`);
      return fs.rm(path);
    },
    syncDir: (dir) => {
      writes.push(`syncDir ${dir}`);
      return fs.syncDir(dir);
    },
  };
}
