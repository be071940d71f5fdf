// Produce over REST, as an HTTP client of the Confluent REST Proxy shapes would: `inFlight` requests of
// `recordsPerRequest` records each, on keep-alive HTTP/1.1 connections (undici), every request to one
// partition (the partitions taken in turn), spread over the nodes in turn (as behind a load balancer)
// or sent to the partition's leader (--rest-route leader), with the cell's acks as `?acks=`.
import { Agent, request } from 'undici';
import type { BenchCluster } from './local-cluster.ts';
import { type Counters, closedLoop, type LoadShape, type ProduceOutcome, recordValue } from './workload.ts';

export type RestRoute = 'round-robin' | 'leader';

export interface RestProduceOptions {
  readonly cluster: BenchCluster;
  readonly topic: string;
  readonly partitions: number;
  readonly recordBytes: number;
  readonly shape: LoadShape;
  readonly route: RestRoute;
  /** `?acks=` of every request (REST takes all, 1 or 0 per request). */
  readonly acks: 'all' | '1';
  readonly counters: Counters;
  readonly enough?: () => boolean;
}

/** The node each partition's requests go to. */
async function routeOf(options: RestProduceOptions): Promise<(partition: number, round: number) => string> {
  const { cluster } = options;
  if (options.route === 'round-robin')
    return (partition, round) => cluster.nodes[(partition + round) % cluster.nodes.length]!.clientUrl;
  const leaders = await cluster.partitions(options.topic, cluster.nodes[0]!.id);
  const byPartition = new Map(
    leaders.map((state) => [state.partitionId, cluster.node(state.leaderId).clientUrl]),
  );
  return (partition) => byPartition.get(partition)!;
}

async function post(agent: Agent, url: string, contentType: string, body: string): Promise<string> {
  const response = await request(url, {
    method: 'POST',
    dispatcher: agent,
    headers: { 'content-type': contentType },
    body,
    headersTimeout: 60_000,
    bodyTimeout: 60_000,
  });
  const text = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`${response.statusCode} ${text.slice(0, 200)}`);
  return text;
}

/**
 * The closed loop both REST paths run: each request posts `request(partition)` to the partition's node
 * (by the route) and counts its answer with `count`; a failed request counts every record as failed.
 */
async function postLoop(
  options: RestProduceOptions,
  request: (partition: number) => {
    readonly path: string;
    readonly contentType: string;
    readonly body: string;
  },
  count: (answer: string) => Counters,
): Promise<ProduceOutcome> {
  const { shape } = options;
  const nodeFor = await routeOf(options);
  const agent = new Agent({ connections: shape.inFlight, keepAliveTimeout: 30_000 });
  try {
    const measured = await closedLoop({
      inFlight: shape.inFlight,
      warmupSeconds: shape.warmupSeconds,
      seconds: shape.seconds,
      counters: options.counters,
      ...(options.enough === undefined ? {} : { enough: options.enough }),
      send: async (slot, round) => {
        const partition = (slot + round * shape.inFlight) % options.partitions;
        const { path, contentType, body } = request(partition);
        try {
          return count(await post(agent, `${nodeFor(partition, round)}${path}`, contentType, body));
        } catch {
          return { acked: 0, failed: shape.recordsPerRequest };
        }
      },
    });
    return { ...measured, latencyUnit: 'request', recordsPerRequest: shape.recordsPerRequest };
  } finally {
    await agent.close();
  }
}

/** REST v2: POST /topics/{t}/partitions/{p}, binary embedded format (base64 values). */
export async function produceRestV2(options: RestProduceOptions): Promise<ProduceOutcome> {
  const { shape, topic } = options;
  const value = recordValue(options.recordBytes).toString('base64');
  const body = JSON.stringify({
    records: Array.from({ length: shape.recordsPerRequest }, () => ({ value })),
  });
  return postLoop(
    options,
    (partition) => ({
      path: `/topics/${topic}/partitions/${partition}?acks=${options.acks}`,
      contentType: 'application/vnd.kafka.binary.v2+json',
      body,
    }),
    (text) => {
      const offsets = (JSON.parse(text) as { offsets: { error_code: number | null }[] }).offsets;
      const failed = offsets.filter((offset) => offset.error_code !== null).length;
      return { acked: offsets.length - failed, failed };
    },
  );
}

/**
 * REST v3 streaming mode: POST /v3/clusters/{c}/topics/{t}/records with `recordsPerRequest` concatenated
 * JSON records, answered by one report per record, one per line.
 */
export async function produceRestV3(options: RestProduceOptions): Promise<ProduceOutcome> {
  const { shape, topic, cluster } = options;
  const data = recordValue(options.recordBytes).toString('base64');
  const bodies = Array.from({ length: options.partitions }, (_, partition) =>
    JSON.stringify({ partition_id: partition, value: { type: 'BINARY', data } }).repeat(
      shape.recordsPerRequest,
    ),
  );
  return postLoop(
    options,
    (partition) => ({
      path: `/v3/clusters/${cluster.clusterId}/topics/${topic}/records?acks=${options.acks}`,
      contentType: 'application/json',
      body: bodies[partition]!,
    }),
    (text) => {
      let acked = 0;
      let failed = 0;
      for (const line of text.split('\n')) {
        if (line === '') continue;
        if ((JSON.parse(line) as { error_code: number }).error_code === 200) acked++;
        else failed++;
      }
      return { acked, failed };
    },
  );
}
