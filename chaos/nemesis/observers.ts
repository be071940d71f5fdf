// Observers for the checks of offsets going backwards, and the early-groups scenario:
// - GroupLagsObserver (process `o0`): the group's committed offsets and the partitions' log end offsets
//   through random brokers during the run (v3 lags), every LOOP_PAUSE_MS;
// - earlyGroupRequests: REST v2 group requests made while one broker is still down (run.ts starts the
//   cluster so), answered while __consumer_offsets cannot have its replication factor yet;
// - readOffsetsTopic: __consumer_offsets as a node describes it after healing (its replication factor).
import type { Prng } from '../sim/prng.ts';
import { isRecord, type NemesisCluster, sleep } from './cluster.ts';
import type {
  EarlyGroupOp,
  GroupLagsObservation,
  History,
  OffsetsTopicRead,
  PartitionOffset,
} from './history.ts';
import { BINARY_V2, describeError, errorOf } from './workload.ts';

const LOOP_PAUSE_MS = 300;

export class GroupLagsObserver {
  private readonly cluster: NemesisCluster;
  private readonly history: History;
  private readonly random: Prng;
  private readonly group: string;
  private readonly topic: string;

  constructor(deps: {
    cluster: NemesisCluster;
    history: History;
    random: Prng;
    group: string;
    topic: string;
  }) {
    ({
      cluster: this.cluster,
      history: this.history,
      random: this.random,
      group: this.group,
      topic: this.topic,
    } = deps);
  }

  async run(stop: AbortSignal): Promise<void> {
    while (!stop.aborted) {
      await observeGroupLags(this.cluster, this.history, 'o0', this.random.pick(this.cluster.clientNodes()), {
        group: this.group,
        topic: this.topic,
      });
      await sleep(LOOP_PAUSE_MS, stop);
    }
  }
}

/**
 * GET .../consumer-groups/{g}/lags through `node`: per partition with a commit, current_offset (the
 * committed offset) and log_end_offset (the high watermark). A group the node does not know (404) is an
 * answer without offsets.
 */
export async function observeGroupLags(
  cluster: NemesisCluster,
  history: History,
  who: string,
  node: number,
  target: { group: string; topic: string },
): Promise<GroupLagsObservation> {
  const base = { f: 'group-lags', process: who, node, topic: target.topic } as const;
  history.append<GroupLagsObservation>({ type: 'invoke', ...base });
  try {
    const answer = await cluster.http(
      node,
      'GET',
      `/v3/clusters/${cluster.clusterId}/consumer-groups/${target.group}/lags`,
      { timeoutMs: 3000 },
    );
    if (answer.status === 200 && isRecord(answer.body) && Array.isArray(answer.body.data)) {
      const rows = answer.body.data.filter(isRecord).filter((row) => row.topic_name === target.topic);
      const column = (name: string): PartitionOffset[] =>
        rows
          .filter((row) => typeof row[name] === 'number')
          .map((row) => [Number(row.partition_id), Number(row[name])] as const)
          .sort((a, b) => a[0] - b[0]);
      return history.append<GroupLagsObservation>({
        type: 'ok',
        ...base,
        offsets: column('current_offset'),
        logEnds: column('log_end_offset'),
      });
    }
    if (answer.status === 404) {
      return history.append<GroupLagsObservation>({ type: 'ok', ...base, offsets: [], logEnds: [] });
    }
    return history.append<GroupLagsObservation>({
      type: errorOf(answer.body) !== null ? 'fail' : 'info',
      ...base,
      error: `${answer.status} ${errorOf(answer.body) ?? JSON.stringify(answer.body).slice(0, 200)}`,
    });
  } catch (error) {
    const { definite, text } = describeError(error);
    return history.append<GroupLagsObservation>({ type: definite ? 'fail' : 'info', ...base, error: text });
  }
}

export const EARLY_GROUP = 'early-group';

/**
 * One REST v2 consumer's first requests, at once, through `node` while a broker is down: create the
 * instance, subscribe to `topic` (a join: the coordinator), commit an offset of the topic's partition 0
 * (the coordinator), read records (a heartbeat or join). Each answer goes into the history; the
 * instance is deleted at the end when it was created.
 */
export async function earlyGroupRequests(
  cluster: NemesisCluster,
  history: History,
  node: number,
  topic: string,
): Promise<void> {
  const name = `early-${node}`;
  const path = `/consumers/${EARLY_GROUP}/instances/${name}`;
  const requests: { request: string; method: 'GET' | 'POST' | 'DELETE'; path: string; body?: unknown }[] = [
    {
      request: 'create',
      method: 'POST',
      path: `/consumers/${EARLY_GROUP}`,
      body: { name, format: 'binary', 'auto.offset.reset': 'earliest', 'auto.commit.enable': 'false' },
    },
    { request: 'subscribe', method: 'POST', path: `${path}/subscription`, body: { topics: [topic] } },
    {
      request: 'commit',
      method: 'POST',
      path: `${path}/offsets`,
      body: { offsets: [{ topic, partition: 0, offset: 0 }] },
    },
    { request: 'records', method: 'GET', path: `${path}/records?timeout=100&max_bytes=1024` },
  ];
  let created = false;
  for (const { request, method, path: url, body } of requests) {
    const base = { f: 'early-group', process: 'early', node, request } as const;
    history.append<EarlyGroupOp>({ type: 'invoke', ...base });
    try {
      const answer = await cluster.http(node, method, url, {
        ...(body !== undefined ? { body } : {}),
        ...(request === 'records' ? { accept: BINARY_V2 } : {}),
        timeoutMs: 30_000,
      });
      const code =
        isRecord(answer.body) && typeof answer.body.error_code === 'number' ? answer.body.error_code : null;
      const ok = answer.status >= 200 && answer.status < 300;
      if (request === 'create' && ok) created = true;
      history.append<EarlyGroupOp>({
        type: ok ? 'ok' : 'fail',
        ...base,
        status: answer.status,
        ...(code !== null ? { errorCode: code } : {}),
        ...(ok
          ? {}
          : {
              error: `${answer.status} ${errorOf(answer.body) ?? JSON.stringify(answer.body).slice(0, 200)}`,
            }),
      });
    } catch (error) {
      const { definite, text } = describeError(error);
      history.append<EarlyGroupOp>({ type: definite ? 'fail' : 'info', ...base, error: text });
    }
  }
  if (created) {
    await cluster.http(node, 'DELETE', path, { timeoutMs: 10_000 }).catch(() => undefined);
  }
}

/** __consumer_offsets as `node` describes it (v3 topic and partitions): its replication factor and replicas. */
export async function readOffsetsTopic(
  cluster: NemesisCluster,
  history: History,
  node: number,
): Promise<OffsetsTopicRead> {
  const base = { f: 'offsets-topic', process: 'final', node } as const;
  try {
    const topic = await cluster.http(node, 'GET', `${cluster.topicsPath()}/__consumer_offsets`, {
      timeoutMs: 10_000,
    });
    if (topic.status === 404) return history.append<OffsetsTopicRead>({ type: 'ok', ...base, exists: false });
    if (topic.status !== 200 || !isRecord(topic.body) || typeof topic.body.replication_factor !== 'number') {
      throw new Error(`${topic.status} ${JSON.stringify(topic.body).slice(0, 200)}`);
    }
    const partitions = await cluster.partitions(node, '__consumer_offsets', 10_000);
    return history.append<OffsetsTopicRead>({
      type: 'ok',
      ...base,
      exists: true,
      replicationFactor: topic.body.replication_factor,
      replicas: partitions.map((p) => [p.partitionId, p.replicaIds] as const),
    });
  } catch (error) {
    return history.append<OffsetsTopicRead>({
      type: 'fail',
      ...base,
      exists: false,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}
