import type { NodeId } from '../../raft/types.ts';
import { isKafkaError } from '../../src/common/kafka-errors.ts';
import { NO_LEADER } from '../../src/metadata/ids.ts';
import type { MetadataImage } from '../../src/metadata/image.ts';
import { batchesIn } from '../../src/storage/record-batch/batch-iterator.ts';
import { buildRecordBatch } from '../../src/storage/record-batch/builder.ts';
import { decodeRecords } from '../../src/storage/record-batch/decoder.ts';
import type { Prng } from '../sim/prng.ts';
import { MS } from '../sim/scheduler.ts';
import type { SimCluster } from './cluster.ts';
import { DataHistory } from './data-history.ts';
import type { ReadResponse } from './protocol.ts';
import { SimProcess } from './sim-process.ts';

export const DATA_TOPIC = 'data';
export const DATA_PARTITIONS = 3;
/** The clients' addresses on the network: outside the cluster, never faulty themselves. */
const CLIENT_ID = 200 as NodeId;

interface Leader {
  readonly topicId: string;
  readonly leader: NodeId;
  readonly leaderEpoch: number;
}

/**
 * The data clients: a producer sending unique values with acks=all (most) or acks=1 to the leader it
 * learns from some node's image, never retrying (so a value at two offsets is a bug), and a group-less
 * reader following every partition from the leader, each read from where the last ended.
 */
export class DataWorkload {
  readonly history = new DataHistory();
  private readonly cluster: SimCluster;
  private readonly random: Prng;
  private readonly process: SimProcess;
  private readonly nextRead = new Map<number, number>();
  private sequence = 0;
  /** The highest leader epoch seen per partition ("topicId/partition"). */
  private readonly lastSeenEpochs = new Map<string, number>();

  constructor(cluster: SimCluster, random: Prng) {
    this.cluster = cluster;
    this.random = random;
    this.process = new SimProcess('data-clients', cluster.world.scheduler, 0);
    this.process.start();
    cluster.world.network.attach(CLIENT_ID, { process: this.process, handle: () => new Promise(() => {}) });
  }

  /** Creates the topic (retried until it exists), then produces and reads until `endUs`. */
  schedule(endUs: number): void {
    const { scheduler } = this.cluster.world;
    const create = () => {
      this.cluster.admin
        .call('create-topic', {
          name: DATA_TOPIC,
          partitionsCount: DATA_PARTITIONS,
          replicationFactor: Math.min(3, this.cluster.config.brokers.length),
          configs: [],
          validateOnly: false,
        })
        .catch((error: unknown) => {
          if (!isKafkaError(error, 'TOPIC_ALREADY_EXISTS')) this.process.timers.setTimeout(create, 200);
        });
    };
    create();
    const loop = (gapMs: () => number, step: () => void) => {
      const next = () => {
        const gapUs = gapMs() * MS;
        if (scheduler.now() + gapUs >= endUs) return;
        scheduler.after(gapUs, () => {
          step();
          next();
        });
      };
      next();
    };
    const fail = (error: unknown) => this.cluster.world.fail(error);
    loop(
      () => this.random.between(10, 60),
      () => void this.produce(this.random.chance(0.75) ? -1 : 1).catch(fail),
    );
    loop(
      () => this.random.between(20, 80),
      () => void this.readOnce(this.random.nextInt(DATA_PARTITIONS)).catch(fail),
    );
  }

  /** One send of a new value; resolves with whether it was acknowledged. */
  async produce(acks: -1 | 1, partition = this.random.nextInt(DATA_PARTITIONS)): Promise<boolean> {
    const leader = this.leaderOf(partition);
    if (leader === null) return false;
    const value = `v${++this.sequence}`;
    const batch = buildRecordBatch({
      records: [
        { timestamp: this.process.timers.nowMs(), key: null, value: Buffer.from(value), headers: [] },
      ],
    });
    this.history.sent++;
    try {
      const { lastOffset } = await this.cluster.world.network.call(
        CLIENT_ID,
        leader.leader,
        'produce',
        { topicId: leader.topicId, partition, batch, acks },
        this.cluster.config.data.produceTimeoutMs + 500,
      );
      this.history.acknowledge({ partition, offset: lastOffset, value, acks }, this.describe(leader));
      return true;
    } catch {
      this.history.failed++;
      return false;
    }
  }

  /** Reads one partition from where this reader's last read of it ended; resolves with the answer. */
  async readOnce(
    partition: number,
    startOffset = this.nextRead.get(partition) ?? 0,
  ): Promise<ReadResponse | null> {
    const leader = this.leaderOf(partition);
    if (leader === null) return null;
    const invokedUs = this.cluster.world.scheduler.now();
    let response: ReadResponse;
    try {
      response = await this.cluster.world.network.call(
        CLIENT_ID,
        leader.leader,
        'read',
        { topicId: leader.topicId, partition, startOffset },
        1_000,
      );
    } catch {
      return null;
    }
    this.history.offsets(
      partition,
      invokedUs,
      this.cluster.world.scheduler.now(),
      response,
      this.describe(leader),
    );
    for (const { header } of batchesIn(Buffer.from(response.bytes))) {
      for (const record of decodeRecords(header)) {
        if (record.offset < startOffset) continue;
        this.history.read(
          { partition, offset: record.offset, value: record.value?.toString('utf8') ?? '<null>' },
          this.describe(leader),
        );
      }
    }
    if (startOffset === (this.nextRead.get(partition) ?? 0))
      this.nextRead.set(partition, response.nextOffset);
    return response;
  }

  private describe(leader: Leader): string {
    const atMs = this.cluster.world.nowMs().toFixed(1);
    return `node ${leader.leader}, leader epoch ${leader.leaderEpoch} in the client's image, at ${atMs} ms`;
  }

  /**
   * The leader of `partition` as some live node's image says (clients ask any node for metadata). As a
   * Kafka client (Metadata.updateLastSeenEpochIfNewer), metadata with an older leader epoch than one
   * already seen is ignored: the client never goes back to a leader it knows was replaced.
   */
  private leaderOf(partition: number): Leader | null {
    const images = [...this.cluster.servers.values()]
      .map((server) => server.image())
      .filter((image): image is MetadataImage => image !== null);
    if (images.length === 0) return null;
    const image = this.random.pick(images);
    const leader = this.leaderIn(image, partition);
    if (leader === null) return null;
    const key = `${leader.topicId}/${partition}`;
    const seen = this.lastSeenEpochs.get(key) ?? -1;
    if (leader.leaderEpoch < seen) return null;
    this.lastSeenEpochs.set(key, leader.leaderEpoch);
    return leader;
  }

  private leaderIn(image: MetadataImage, partition: number): Leader | null {
    const topicId = image.topicIdsByName.get(DATA_TOPIC);
    const registration =
      topicId === undefined ? undefined : image.topics.get(topicId)?.partitions.get(partition as never);
    if (topicId === undefined || registration === undefined || registration.leader === NO_LEADER) return null;
    return {
      topicId,
      leader: registration.leader as number as NodeId,
      leaderEpoch: registration.leaderEpoch,
    };
  }
}
