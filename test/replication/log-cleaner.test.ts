// The broker's log cleaner (src/replication/log-cleaner.ts) in ReplicaManagers wired together in one
// process: every replica of a compacted topic cleans its own log below its high watermark, the leader
// and its followers alike, and they keep serving the same records at the same offsets.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { topicLogConfig } from '../../src/replication/topic-log-config.ts';
import { buildRecordBatch } from '../../src/storage/record-batch/builder.ts';
import { emptyImage } from '../../src/metadata/image.ts';
import { applyBatch } from '../../src/metadata/reducer.ts';
import { metadataOffset, topicId } from '../../src/metadata/ids.ts';
import { B1, B2, B3, TestCluster, storedBatches, valuesByOffset } from './cluster.ts';
import { waitFor } from './helpers.ts';

let cluster: TestCluster;

beforeEach(async () => {
  cluster = await TestCluster.create();
});
afterEach(async () => {
  await cluster.close();
});

/** One batch: a value for each of `keys` keys, `round` in every value. */
function round(round: number, keys: number): Buffer {
  return buildRecordBatch({
    records: Array.from({ length: keys }, (_, key) => ({
      timestamp: 1_700_000_000_000 + round,
      key: Buffer.from(`key-${key}`),
      value: Buffer.from(`r${round}-k${key}`),
      headers: [],
    })),
  });
}

describe('the log cleaner of a replica manager', () => {
  it('cleans the leader and the followers independently; they keep the latest values at the same offsets', async () => {
    cluster.cleaner = { backoffMs: 20, offsetMapBytes: 1 << 20 };
    cluster.logConfig = { segmentBytesMax: 1_000 };
    const topic = cluster.createTopic('table', [{}]);
    cluster.commit([
      {
        type: 'config',
        resourceType: 'topic',
        resourceName: 'table',
        name: 'cleanup.policy',
        value: 'compact',
      },
    ]);
    await cluster.startAll();
    for (let at = 0; at < 40; at++) await cluster.produce(B1, topic, round(at, 4), -1);
    const end = cluster.hosted(B1, topic).log.logEndOffset;
    const values = async (broker: typeof B1) =>
      valuesByOffset(await storedBatches(cluster.hosted(broker, topic).log));
    const seen = new Map<number, string>();
    for (const broker of [B1, B2, B3]) {
      await cluster.waitInSync(topic, B1, broker);
      // Each replica cleans its own log: 160 records shrink to the active segment's and a few more.
      await waitFor(`broker ${broker}'s log cleaned`, async () => (await values(broker)).size < 40, {
        timeoutMs: 10_000,
      });
      expect(cluster.hosted(broker, topic).log.logEndOffset).toBe(end);
      const kept = await values(broker);
      for (let key = 0; key < 4; key++) expect([...kept.values()]).toContain(`r39-k${key}`);
      // Where two replicas both kept a record, it is the same one.
      for (const [at, value] of kept) {
        expect(seen.get(at) ?? value, `offset ${at}`).toBe(value);
        seen.set(at, value);
      }
    }
    expect(cluster.errors()).toEqual([]);
  });

  it('leaves a topic without compact in cleanup.policy alone', async () => {
    cluster.cleaner = { backoffMs: 10, offsetMapBytes: 1 << 20 };
    cluster.logConfig = { segmentBytesMax: 1_000 };
    const topic = cluster.createTopic('events', [{}]);
    await cluster.startAll();
    for (let at = 0; at < 20; at++) await cluster.produce(B1, topic, round(at, 4), -1);
    const log = cluster.hosted(B1, topic).log;
    expect(log.cleaningState(log.logEndOffset)).toBeNull();
    expect(valuesByOffset(await storedBatches(log)).size).toBe(80);
  });
});

describe('topicLogConfig', () => {
  const image = (configs: Record<string, string>) =>
    applyBatch(
      emptyImage(),
      [
        { type: 'topic' as const, name: 't', topicId: topicId('6d1f5a38-2f0b-4f51-9d0c-00000000ffff') },
        ...Object.entries(configs).map(([name, value]) => ({
          type: 'config' as const,
          resourceType: 'topic' as const,
          resourceName: 't',
          name,
          value,
        })),
      ],
      metadataOffset(1),
    );

  it('turns cleanup.policy and the compaction configs into the log config, over the broker defaults', () => {
    expect(topicLogConfig(image({}), 't', {})).toMatchObject({ cleanupCompact: false, cleanupDelete: true });
    expect(topicLogConfig(image({}), 't', { cleanupCompact: true, cleanupDelete: false })).toMatchObject({
      cleanupCompact: true,
      cleanupDelete: false,
    });
    expect(
      topicLogConfig(
        image({
          'cleanup.policy': 'compact,delete',
          'delete.retention.ms': '1000',
          'min.cleanable.dirty.ratio': '0.25',
          'max.compaction.lag.ms': '9223372036854775807',
        }),
        't',
        {},
      ),
    ).toMatchObject({
      cleanupCompact: true,
      cleanupDelete: true,
      deleteRetentionMs: 1_000,
      minCleanableDirtyRatio: 0.25,
      maxCompactionLagMs: Number.MAX_SAFE_INTEGER,
    });
  });

  it('a topic config no longer set falls back to the broker default, then to Kafka default', () => {
    expect(topicLogConfig(image({}), 't', { deleteRetentionMs: 5 }).deleteRetentionMs).toBe(5);
    expect(topicLogConfig(image({}), 't', {}).deleteRetentionMs).toBe(86_400_000);
  });
});
