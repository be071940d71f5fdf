// When new topics are usable: every node's metadata (native POST /v1/metadata, one request for all the
// topics asked) shows every partition with a leader, then with every replica in its ISR. Nodes are polled
// one after the other (each every 25 ms until it agrees), so that 1,000 topics cost one request per poll,
// not one per topic; a time is when the last node was seen agreeing (25 ms resolution plus one request).
// The metadata is not the whole story: the controller writes the ISR (all replicas) with the topic, and
// each node opens its partitions afterwards, one after another; so the last time is when one record sent
// to every partition (acks=all) has been acknowledged: every leader and follower has its partition open.
import { request } from 'undici';
import { Producer } from '../../src/client/index.ts';
import { clientCodec, type NativeMetadataResponse } from '../../src/http/native/codec.ts';
import type { BenchCluster } from '../cluster/local-cluster.ts';
import { waitFor } from '../cluster/wait.ts';

type MetadataTopic = NativeMetadataResponse['topics'][number];

/** From the start given to waitUsable: all leaders known on every node, all ISRs full, all written. */
export interface Readiness {
  readonly leadersMs: number;
  readonly fullIsrMs: number;
  /** One record to every partition acknowledged (acks=all); each partition holds one record more. */
  readonly writableMs: number;
}

/** What node `via` knows of `topics` (an unknown topic comes back with an error code and no partitions). */
export async function metadataOf(
  cluster: BenchCluster,
  via: number,
  topics: readonly string[],
): Promise<readonly MetadataTopic[]> {
  const response = await request(`${cluster.node(via).clientUrl}/v1/metadata`, {
    method: 'POST',
    dispatcher: cluster.agent,
    headers: { 'content-type': 'application/x-protobuf' },
    body: clientCodec.metadataRequest({ topics }),
    headersTimeout: 30_000,
  });
  const bytes = Buffer.from(await response.body.arrayBuffer());
  if (response.statusCode !== 200)
    throw new Error(`/v1/metadata on node ${via}: ${response.statusCode} ${bytes.toString().slice(0, 200)}`);
  return clientCodec.metadataResponse(bytes).topics;
}

function everyPartition(
  topics: readonly MetadataTopic[],
  partitionsPerTopic: number,
  test: (partition: MetadataTopic['partitions'][number]) => boolean,
): boolean {
  return topics.every(
    (topic) =>
      topic.errorCode === 0 && topic.partitions.length === partitionsPerTopic && topic.partitions.every(test),
  );
}

/**
 * Waits until every node sees every partition of `topics` (each of `partitionsPerTopic` partitions) led,
 * then with `replicationFactor` replicas in its ISR; times from `startedMs` (performance.now() time).
 */
export async function waitUsable(options: {
  readonly cluster: BenchCluster;
  readonly topics: readonly string[];
  readonly partitionsPerTopic: number;
  readonly replicationFactor: number;
  readonly startedMs: number;
  readonly timeoutMs: number;
}): Promise<Readiness> {
  const { cluster, topics, partitionsPerTopic } = options;
  const until = async (what: string, test: (p: MetadataTopic['partitions'][number]) => boolean) => {
    for (const node of cluster.nodes)
      await waitFor(`${topics.length} topic(s) ${what} on node ${node.id}`, options.timeoutMs, async () =>
        everyPartition(await metadataOf(cluster, node.id, topics), partitionsPerTopic, test),
      );
    return performance.now() - options.startedMs;
  };
  const leadersMs = await until('led', (partition) => partition.leader >= 0);
  const fullIsrMs = await until(
    'fully in sync',
    (partition) => partition.leader >= 0 && partition.isr.length >= options.replicationFactor,
  );
  const producer = new Producer({
    bootstrap: cluster.nodes.map((node) => node.clientUrl),
    idempotence: false,
    lingerMs: 0,
    deliveryTimeoutMs: options.timeoutMs,
  });
  try {
    await Promise.all(
      topics.flatMap((topic) =>
        Array.from({ length: partitionsPerTopic }, (_, partition) =>
          producer.send({ topic, partition, value: 'ready' }),
        ),
      ),
    );
  } finally {
    await producer.close();
  }
  return { leadersMs, fullIsrMs, writableMs: performance.now() - options.startedMs };
}

/** Waits until no node knows any of `topics` any more (a deletion has reached every node's metadata). */
export async function waitGone(cluster: BenchCluster, topics: readonly string[], timeoutMs: number) {
  for (const node of cluster.nodes)
    await waitFor(`${topics.length} topic(s) gone from node ${node.id}`, timeoutMs, async () =>
      (await metadataOf(cluster, node.id, topics)).every((topic) => topic.errorCode !== 0),
    );
}
