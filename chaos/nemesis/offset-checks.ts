// The checks of offsets going backwards, of the early-groups scenario and of __consumer_offsets'
// replication factor. Pure: a history in, verdicts out. Real-time order: an observation A precedes an
// observation B when A completed (its answer was in the history) before B was invoked; observations that
// overlap may be ordered either way by the cluster, so they are not compared.
import { Check, type CheckResult } from './check-result.ts';
import type { CheckInput } from './checker.ts';
import type { Op } from './history.ts';

/** When each completion's operation was invoked: every client process has one operation at a time. */
function invocations(ops: readonly Op[]): Map<Op, number> {
  const last = new Map<string, number>();
  const invokedAt = new Map<Op, number>();
  for (const op of ops) {
    const key = `${op.process}:${op.f}`;
    if (op.type === 'invoke') last.set(key, op.time);
    else invokedAt.set(op, last.get(key) ?? op.time);
  }
  return invokedAt;
}

interface Observation {
  readonly invoked: number;
  readonly done: number;
  readonly value: number;
  /** false: a lower bound only (an acks=all acknowledgement, a read record): never the later one of a pair. */
  readonly exact: boolean;
  readonly what: string;
}

/**
 * The exact observations that show a value below one already seen (an observation, exact or a lower bound,
 * that completed before the exact one was invoked). One violation text per such observation.
 */
function backwards(observations: readonly Observation[], label: string): string[] {
  const byDone = [...observations].sort((a, b) => a.done - b.done);
  // prefix[i]: the observation with the highest value among byDone[0..i].
  const prefix: Observation[] = [];
  for (const [i, o] of byDone.entries())
    prefix.push(i === 0 || o.value > prefix[i - 1]!.value ? o : prefix[i - 1]!);
  const found: string[] = [];
  for (const b of observations) {
    if (!b.exact) continue;
    // The last observation completed before b was invoked.
    let low = 0;
    let high = byDone.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (byDone[mid]!.done < b.invoked) low = mid + 1;
      else high = mid;
    }
    if (low === 0) continue;
    const highest = prefix[low - 1]!;
    if (b.value < highest.value) {
      found.push(`${label}: ${b.what} showed ${b.value} after ${highest.what} showed ${highest.value}`);
    }
  }
  return found;
}

/**
 * offsets-monotonic: per topic and partition, the high watermark (end offset) and the log start offset
 * never go backwards across observations through any node. Exact observations: v2 `/offsets`
 * (beginning_offset, end_offset) and v3 lags (log_end_offset). Lower bounds of the high watermark: an
 * acks=all acknowledgement of offset o (the high watermark passed o before it was sent), a record at o
 * returned by a read (reads stay below the high watermark).
 */
export function checkEndOffsets(input: CheckInput): CheckResult {
  const check = new Check(
    'offsets-monotonic',
    'per partition, the high watermark (v2 end_offset, v3 log_end_offset; at least every acks=all acknowledged ' +
      'or read offset + 1) and the log start offset never go backwards across observations through any node',
  );
  const invokedAt = invocations(input.ops);
  const ends = new Map<string, Observation[]>();
  const starts = new Map<string, Observation[]>();
  const add = (index: Map<string, Observation[]>, topic: string, partition: number, o: Observation): void => {
    const key = `${topic} partition ${partition}`;
    const list = index.get(key) ?? [];
    list.push(o);
    index.set(key, list);
  };
  const acksOf = new Map(input.topics.map((topic) => [topic.name, topic.acks]));
  for (const op of input.ops) {
    if (op.type !== 'ok') continue;
    const invoked = invokedAt.get(op) ?? op.time;
    const when = `t=${invoked}..${op.time} ms`;
    if (op.f === 'offsets' && op.end !== undefined && op.logStart !== undefined) {
      const what = `/offsets via node ${op.node} (${op.process}, ${when})`;
      add(ends, op.topic, op.partition, { invoked, done: op.time, value: op.end, exact: true, what });
      add(starts, op.topic, op.partition, { invoked, done: op.time, value: op.logStart, exact: true, what });
    } else if (op.f === 'group-lags') {
      for (const [partition, end] of op.logEnds ?? []) {
        const what = `lags via node ${op.node} (${op.process}, ${when})`;
        add(ends, op.topic, partition, { invoked, done: op.time, value: end, exact: true, what });
      }
    } else if (op.f === 'send' && op.offset !== undefined && acksOf.get(op.topic) === 'all') {
      const what = `the acknowledgement of ${op.value} at offset ${op.offset} (${op.process}, ${when})`;
      add(ends, op.topic, op.ackPartition ?? op.partition, {
        invoked,
        done: op.time,
        value: op.offset + 1,
        exact: false,
        what,
      });
    } else if (op.f === 'poll' && op.records !== undefined && op.records.length > 0) {
      const last = op.records[op.records.length - 1]![0];
      const what = `a read of offset ${last} via node ${op.node} (${op.process}, ${when})`;
      add(ends, op.topic, op.partition, { invoked, done: op.time, value: last + 1, exact: false, what });
    } else if (op.f === 'group-poll') {
      const highest = new Map<number, number>();
      for (const [partition, offset] of op.records ?? [])
        highest.set(partition, Math.max(highest.get(partition) ?? -1, offset));
      for (const [partition, offset] of highest) {
        const what = `a group read of offset ${offset} via node ${op.node} (${op.process}, ${when})`;
        add(ends, input.groupTopic, partition, {
          invoked,
          done: op.time,
          value: offset + 1,
          exact: false,
          what,
        });
      }
    }
  }
  for (const [key, list] of ends)
    for (const text of backwards(list, `${key}: end offset`)) check.violation(text);
  for (const [key, list] of starts)
    for (const text of backwards(list, `${key}: log start offset`)) check.violation(text);
  return check.result();
}

/**
 * committed-offsets-monotonic: per partition, the group's committed offset observed through any node
 * (v3 lags during the run and after healing) goes backwards only when a commit may have taken effect in
 * between. Kafka allows a lower commit: a consumer may commit any offset (a seek back, or a new owner after
 * a rebalance committing from the offset it fetched before the old owner's last commit landed), so a
 * decrease between observations A and B is a violation only when no commit of the group was in flight
 * between A's invocation and B's completion (an indeterminate commit counts as in flight until the end).
 * What this catches: a committed offset that is served and then vanishes without any commit (a coordinator
 * that served a commit not yet replicated, or lost one, or serves a stale image of the group).
 */
export function checkCommittedOffsets(input: CheckInput): CheckResult {
  const check = new Check(
    'committed-offsets-monotonic',
    "per partition, the group's committed offset seen through any node never goes backwards unless a commit " +
      'of the group was in flight in between',
  );
  const invokedAt = invocations(input.ops);
  const commits: { invoked: number; done: number }[] = [];
  const open = new Map<string, number>();
  for (const op of input.ops) {
    if (op.f !== 'group-commit') continue;
    if (op.type === 'invoke') open.set(op.process, op.time);
    else {
      open.delete(op.process);
      // A definite failure (fenced, unknown instance, refused) changed nothing.
      if (op.type === 'fail') continue;
      const invoked = invokedAt.get(op) ?? op.time;
      commits.push({ invoked, done: op.type === 'ok' ? op.time : Number.POSITIVE_INFINITY });
    }
  }
  for (const invoked of open.values()) commits.push({ invoked, done: Number.POSITIVE_INFINITY });
  const observations = new Map<number, Observation[]>();
  for (const op of input.ops) {
    if (op.type !== 'ok' || (op.f !== 'group-lags' && op.f !== 'group-offsets')) continue;
    if (op.f === 'group-lags' && op.topic !== input.groupTopic) continue;
    const invoked = invokedAt.get(op) ?? op.time;
    for (const [partition, value] of op.offsets ?? []) {
      const list = observations.get(partition) ?? [];
      list.push({
        invoked,
        done: op.time,
        value,
        exact: true,
        what: `lags via node ${op.node} (${op.process}, t=${invoked}..${op.time} ms)`,
      });
      observations.set(partition, list);
    }
  }
  for (const [partition, list] of observations) {
    for (const b of list) {
      const before = list.find(
        (a) =>
          a.done < b.invoked &&
          a.value > b.value &&
          !commits.some((c) => c.invoked < b.done && c.done > a.invoked),
      );
      if (before !== undefined) {
        check.violation(
          `partition ${partition}: ${b.what} showed committed offset ${b.value} after ${before.what} showed ` +
            `${before.value}, with no commit in flight in between`,
        );
      }
    }
  }
  return check.result();
}

/**
 * offsets-topic-rf: __consumer_offsets, when it exists, has offsets.topic.replication.factor replicas for
 * every partition, as every node describes it after healing (never a factor reduced because brokers
 * were down when the first group request came).
 */
export function checkOffsetsTopic(input: CheckInput): CheckResult {
  const check = new Check(
    'offsets-topic-rf',
    `__consumer_offsets (when it exists) has replication factor ${input.offsetsTopicReplicationFactor} and that ` +
      'many replicas for every partition, through every node',
  );
  const expected = input.offsetsTopicReplicationFactor;
  for (const op of input.ops) {
    if (op.f !== 'offsets-topic') continue;
    if (op.type !== 'ok') {
      check.violation(`via node ${op.node}: ${op.error}`);
      continue;
    }
    if (!op.exists) continue;
    if (op.replicationFactor !== expected)
      check.violation(`via node ${op.node}: replication factor ${op.replicationFactor}, not ${expected}`);
    for (const [partition, replicas] of op.replicas ?? []) {
      if (replicas.length !== expected)
        check.violation(`via node ${op.node}: partition ${partition} has replicas [${replicas.join(',')}]`);
    }
  }
  return check.result();
}

/**
 * early-groups: group requests made while one broker was down. A subscription (a join: the coordinator)
 * answers success or the retriable COORDINATOR_NOT_AVAILABLE (500 / 50003), never another error; and no
 * coordinator request (subscribe, commit, records) succeeds before the broker was started, since
 * __consumer_offsets cannot have its replication factor without it.
 */
export function checkEarlyGroups(input: CheckInput, brokerStartedAt: number): CheckResult {
  const check = new Check(
    'early-groups',
    'group requests made while a broker is down: a subscription answers success or a retriable error (50003), ' +
      'and none succeeds before the broker is started',
  );
  for (const op of input.ops) {
    if (op.f !== 'early-group' || op.type === 'invoke' || op.request === 'create') continue;
    if (op.type === 'ok' && op.time < brokerStartedAt) {
      check.violation(
        `${op.request} via node ${op.node} succeeded at t=${op.time} ms, before the broker that was down started ` +
          `(t=${brokerStartedAt} ms)`,
      );
    }
    if (
      op.request === 'subscribe' &&
      op.type === 'fail' &&
      op.status !== undefined &&
      op.errorCode !== 50003
    ) {
      check.violation(`subscribe via node ${op.node}: ${op.error} (not retriable)`);
    }
  }
  return check.result();
}
