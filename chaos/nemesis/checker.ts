// The checks of a history, in the style of Jepsen's Kafka checkers (jepsen tests/kafka.clj), over what
// the clients saw and the final reads. Pure: a history in, verdicts out.
import type {
  FinalRead,
  GroupAssignment,
  GroupCommit,
  GroupOffsetsRead,
  GroupPoll,
  Op,
  PollComplete,
  ReadRecord,
  SendComplete,
} from './history.ts';
import { at, Check, type CheckResult } from './check-result.ts';
import {
  checkCommittedOffsets,
  checkEarlyGroups,
  checkEndOffsets,
  checkOffsetsTopic,
} from './offset-checks.ts';

export type { CheckResult } from './check-result.ts';

function recordMap(records: readonly ReadRecord[]): Map<number, string> {
  return new Map(records.map(([offset, value]) => [offset, value]));
}

/** A topic of the workload and how it is produced to. */
export interface TopicCheck {
  readonly name: string;
  readonly partitions: number;
  readonly acks: 'all' | '1';
}

export interface CheckInput {
  readonly ops: readonly Op[];
  readonly topics: readonly TopicCheck[];
  /** The topic the group consumers read (acks=all). */
  readonly groupTopic: string;
  /** The nodes whose final reads are checked (the brokers). */
  readonly nodes: readonly number[];
  /** offsets.topic.replication.factor: what __consumer_offsets must have. */
  readonly offsetsTopicReplicationFactor: number;
  /** The early-groups scenario: when (history ms) the broker that was down started; null: not run. */
  readonly earlyNodeStartedAt: number | null;
  /** Whether every node was ready with every ISR full after healing, and how long it took. */
  readonly healed: { readonly ok: boolean; readonly ms: number; readonly boundMs: number };
  /** Group consumers in the run: 0 leaves the group checks out. */
  readonly groupConsumers: number;
}

export interface Informational {
  readonly topics: readonly TopicInfo[];
  /** The group workload's informational results (null without group consumers). */
  readonly group: GroupInfo | null;
}

export interface TopicInfo {
  readonly topic: string;
  readonly acks: 'all' | '1';
  readonly acknowledged: number;
  /** acks=1: acknowledged records in no final read (lost, as Kafka allows for acks=1). */
  readonly lostAcknowledged: readonly string[];
  /** Values of sends answered with a definite error that are in the final reads anyway. */
  readonly failedButPresent: readonly string[];
  /** Values of indeterminate sends that are in the final reads. */
  readonly indeterminatePresent: number;
  readonly indeterminateAbsent: number;
  /** Records per partition in the first node's final read. */
  readonly finalRecords: readonly number[];
}

export interface GroupInfo {
  /** group-progress: distinct (partition, offset)s the group read, of the final log's records. */
  readonly distinctRead: number;
  readonly recordsRead: number;
  readonly finalRecords: number;
  /** Per partition: the committed offset (first node's final read of the group; null: none) and the log end. */
  readonly committed: readonly { partition: number; committed: number | null; logEnd: number }[];
  /** Acknowledged commits of a partition lower than an acknowledged commit that preceded them. */
  readonly regressions: number;
  readonly regressionExamples: readonly string[];
  /** Commits whose positions were counted (a certain assignment observed right after). */
  readonly commitsCounted: number;
  readonly commitsAcknowledged: number;
}

/** What the checks of one topic found, beyond their verdicts. */
interface TopicOutcome {
  readonly results: CheckResult[];
  readonly info: TopicInfo;
  readonly rest: ReadonlyMap<string, FinalRead>;
  readonly restMaps: ReadonlyMap<string, ReadonlyMap<number, string>>;
}

/**
 * The checks of one topic's sends, polls and final reads. acks=all: every check fails the run. acks=1
 * (names prefixed `acks1-`): an acknowledged record may be lost (counted in `lostAcknowledged`, not a
 * violation: Kafka allows it when leadership moves before a follower has the record), and its offset may
 * then hold another record; but a record that is in the final reads is at its acknowledged offset, no
 * offset holds two values among polls and final reads, no value is at two offsets, no read record is
 * later lost, polls move forward, and the final reads and replica logs agree.
 */
function checkTopic(input: CheckInput, topic: TopicCheck): TopicOutcome {
  const { nodes } = input;
  const { partitions, acks } = topic;
  const ops = input.ops.filter((op) => !('topic' in op) || op.topic === topic.name);
  const name = (check: string): string => (acks === 'all' ? check : `acks1-${check}`);
  const acked = ops.filter((op): op is SendComplete => op.f === 'send' && op.type === 'ok');
  const polls = ops.filter((op): op is PollComplete => op.f === 'poll' && op.type === 'ok');
  const finals = ops.filter((op): op is FinalRead => op.f === 'final-read');
  const rest = new Map<string, FinalRead>();
  const disk = new Map<string, FinalRead>();
  for (const read of finals)
    (read.source === 'rest' ? rest : disk).set(`${read.node}:${read.partition}`, read);
  const restMaps = new Map<string, Map<number, string>>();
  for (const [key, read] of rest) restMaps.set(key, recordMap(read.records));
  const finalValues = new Set<string>();
  for (const read of rest.values()) for (const [, value] of read.records) finalValues.add(value);

  const results: CheckResult[] = [];

  // (a) lost writes
  const lost = new Check(
    name('lost-writes'),
    'every acknowledged send is in the final read of every node at its (partition, offset)',
  );
  const lostAcknowledged: string[] = [];
  for (const send of acked) {
    if (acks === '1' && !finalValues.has(send.value)) {
      lostAcknowledged.push(`${send.value} acked at ${at(send.partition, send.offset!)} (t=${send.time} ms)`);
      continue;
    }
    const partition = send.ackPartition ?? send.partition;
    if (partition !== send.partition) {
      lost.violation(`${send.value}: sent to partition ${send.partition}, acknowledged in ${partition}`);
    }
    for (const node of nodes) {
      const map = restMaps.get(`${node}:${partition}`);
      if (map === undefined) continue; // no final read: reported by final-reads-identical
      const found = map.get(send.offset!);
      if (found !== send.value) {
        const read = rest.get(`${node}:${partition}`)!;
        const end = read.records.length > 0 ? read.records[read.records.length - 1]![0] + 1 : 0;
        lost.violation(
          `${send.value} acked at ${at(partition, send.offset!)} (by ${send.process} via node ${send.node}, t=${send.time} ms): ` +
            `node ${node} has ${found === undefined ? `nothing there (its read ends at offset ${end})` : found}`,
        );
      }
    }
  }

  // (b) inconsistent offsets and (c) duplicates, over acknowledgements, consumers' polls and final reads.
  const valuesAt = new Map<string, Map<string, Set<string>>>();
  const offsetsOf = new Map<string, Map<string, Set<string>>>();
  const see = (partition: number, offset: number, value: string, who: string): void => {
    const key = at(partition, offset);
    whoSaw(valuesAt, key, value).add(who);
    whoSaw(offsetsOf, value, key).add(who);
  };
  // acks=1: only the acknowledgements of records that survived say what their offset holds.
  for (const send of acked)
    if (acks === 'all' || finalValues.has(send.value))
      see(send.ackPartition ?? send.partition, send.offset!, send.value, `ack ${send.process}`);
  for (const poll of polls) {
    for (const [offset, value] of poll.records ?? [])
      see(poll.partition, offset, value, `poll ${poll.process}`);
  }
  for (const op of ops) {
    if (op.f !== 'group-poll' || op.type !== 'ok' || topic.name !== input.groupTopic) continue;
    for (const [partition, offset, value] of op.records ?? [])
      see(partition, offset, value, `poll ${op.process}`);
  }
  for (const read of rest.values()) {
    for (const [offset, value] of read.records) see(read.partition, offset, value, `final node ${read.node}`);
  }
  const describe = (who: Map<string, Set<string>>): string =>
    [...who].map(([what, by]) => `${what} (${[...by].sort().join(', ')})`).join(' vs ');
  const inconsistent = new Check(
    name('inconsistent-offsets'),
    'no (partition, offset) holds two different values across acknowledgements, polls and final reads',
  );
  for (const [key, values] of valuesAt) {
    if (values.size > 1) inconsistent.violation(`${key}: ${describe(values)}`);
  }
  const duplicates = new Check(name('duplicates'), 'no value at two (partition, offset)s');
  for (const [value, places] of offsetsOf) {
    if (places.size > 1) duplicates.violation(`${value} at ${describe(places)}`);
  }

  // (d) reads of records later lost
  const lostReads = new Check(
    name('lost-reads'),
    "every record a consumer read is in every node's final read at the same offset",
  );
  const reported = new Set<string>();
  for (const poll of polls) {
    for (const [offset, value] of poll.records ?? []) {
      for (const node of nodes) {
        const map = restMaps.get(`${node}:${poll.partition}`);
        if (map === undefined) continue;
        const found = map.get(offset);
        const key = `${node}:${poll.partition}:${offset}:${value}`;
        if (found !== value && !reported.has(key)) {
          reported.add(key);
          lostReads.violation(
            `${value} read at ${at(poll.partition, offset)} by ${poll.process} via node ${poll.node} (t=${poll.time} ms): ` +
              `node ${node} has ${found ?? 'nothing'} there`,
          );
        }
      }
    }
  }

  // (e) consumers move forward: offsets strictly increase, never below the position, and (offsets being
  // dense here: no compaction, no transactions) each poll starts exactly at the position asked.
  const monotonic = new Check(
    name('nonmonotonic-polls'),
    "each consumer's offsets per partition only move forward (strictly increasing, never below its position)",
  );
  const skips = new Check(
    name('poll-skips'),
    'a non-empty poll starts exactly at the offset asked for (offsets are dense: no record skipped)',
  );
  const lastSeen = new Map<string, number>();
  for (const poll of polls) {
    const key = `${poll.process}:${poll.partition}`;
    let previous = lastSeen.get(key) ?? -1;
    const records = poll.records ?? [];
    if (poll.offset < previous + 1) {
      monotonic.violation(
        `${poll.process} asked ${at(poll.partition, poll.offset)} after reading up to ${previous}`,
      );
    }
    for (const [offset] of records) {
      if (offset <= previous || offset < poll.offset) {
        monotonic.violation(
          `${poll.process} read ${at(poll.partition, offset)} after ${previous} (asked ${poll.offset}, t=${poll.time} ms)`,
        );
      }
      previous = Math.max(previous, offset);
    }
    if (records.length > 0 && records[0]![0] !== poll.offset) {
      skips.violation(
        `${poll.process} asked ${at(poll.partition, poll.offset)} via node ${poll.node} and got first ${records[0]![0]} (t=${poll.time} ms)`,
      );
    }
    lastSeen.set(key, previous);
  }

  // (f) the final reads agree, are complete and dense
  const identical = new Check(
    name('final-reads-identical'),
    'the final read of every partition succeeds through every node, is dense from 0 and identical on every node',
  );
  for (let partition = 0; partition < partitions; partition++) {
    let reference: FinalRead | null = null;
    for (const node of nodes) {
      const read = rest.get(`${node}:${partition}`);
      if (read === undefined || read.type !== 'ok') {
        identical.violation(`partition ${partition} via node ${node}: ${read?.error ?? 'not read'}`);
        continue;
      }
      read.records.forEach(([offset], i) => {
        if (offset !== i)
          identical.violation(`partition ${partition} via node ${node}: offset ${offset} at position ${i}`);
      });
      if (reference === null) reference = read;
      else {
        const difference = firstDifference(reference.records, read.records);
        if (difference !== null) {
          identical.violation(
            `partition ${partition}: node ${reference.node} and node ${node} differ ${difference}`,
          );
        }
      }
    }
  }

  // (g) the replica logs on disk, once the cluster has stopped, hold exactly what the final reads did
  const replicas = new Check(
    name('replica-logs'),
    "every node's log files of every partition (read after the cluster stopped) hold exactly the final read",
  );
  for (let partition = 0; partition < partitions; partition++) {
    const reference = nodes.map((node) => rest.get(`${node}:${partition}`)).find((r) => r?.type === 'ok');
    for (const node of nodes) {
      const read = disk.get(`${node}:${partition}`);
      if (read === undefined) continue; // not read (the run was cut short)
      if (read.type !== 'ok') {
        replicas.violation(`partition ${partition} on node ${node}: ${read.error}`);
        continue;
      }
      if (reference === undefined) continue;
      const difference = firstDifference(reference.records, read.records);
      if (difference !== null) {
        replicas.violation(
          `partition ${partition}: node ${node}'s log files and the final read (via node ${reference.node}) differ ${difference}`,
        );
      }
    }
  }

  results.push(
    ...(acks === 'all' ? [lost.result()] : []),
    inconsistent.result(),
    duplicates.result(),
    lostReads.result(),
    monotonic.result(),
    skips.result(),
    identical.result(),
    replicas.result(),
  );

  // Informational: what happened to sends that were not acknowledged.
  const first = nodes[0]!;
  const finalRecords: number[] = [];
  for (let partition = 0; partition < partitions; partition++)
    finalRecords.push(rest.get(`${first}:${partition}`)?.records.length ?? 0);
  const failedButPresent: string[] = [];
  let indeterminatePresent = 0;
  let indeterminateAbsent = 0;
  for (const op of ops) {
    if (op.f !== 'send') continue;
    if (op.type === 'fail' && finalValues.has(op.value)) failedButPresent.push(`${op.value} (${op.error})`);
    if (op.type === 'info') {
      if (finalValues.has(op.value)) indeterminatePresent++;
      else indeterminateAbsent++;
    }
  }
  return {
    results,
    info: {
      topic: topic.name,
      acks,
      acknowledged: acked.length,
      lostAcknowledged,
      failedButPresent,
      indeterminatePresent,
      indeterminateAbsent,
      finalRecords,
    },
    rest,
    restMaps,
  };
}

export function check(input: CheckInput): { results: CheckResult[]; info: Informational } {
  const results: CheckResult[] = [];
  const outcomes = input.topics.map((topic) => checkTopic(input, topic));
  for (const outcome of outcomes) results.push(...outcome.results);
  results.push(checkEndOffsets(input), checkOffsetsTopic(input));
  if (input.earlyNodeStartedAt !== null) results.push(checkEarlyGroups(input, input.earlyNodeStartedAt));
  const main = outcomes.find((outcome) => outcome.info.topic === input.groupTopic);
  const group =
    input.groupConsumers > 0 && main !== undefined ? checkGroup(input, main.rest, main.restMaps) : null;
  if (group !== null) results.push(...group.results, checkCommittedOffsets(input));
  // Liveness of the heal: without it the final reads may be partial.
  const heal = new Check(
    'healed',
    'every node ready and every partition with a leader and a full ISR after healing',
  );
  if (!input.healed.ok) heal.violation(`not healthy ${input.healed.boundMs} ms after the faults stopped`);
  results.push(heal.result());
  return { results, info: { topics: outcomes.map((outcome) => outcome.info), group: group?.info ?? null } };
}

/** A commit with the positions counted for it, and its real-time interval. */
interface CountedCommit {
  readonly op: GroupCommit;
  readonly invoked: number;
  readonly done: number;
  /** partition -> the position the instance committed (at least: see group-consumer.ts). */
  readonly positions: ReadonlyMap<number, number>;
}

/**
 * The group checks.
 *
 * What a commit committed (group-consumer.ts): the empty-body commit of an instance commits, for each
 * partition assigned to it, the position after the last record it returned. The history has the
 * positions the client meant; they count only for the partitions in the `certain` assignment observed
 * by the same process and instance right after the commit (the next assignment op of that process, with
 * nothing else in between). Counted positions are never above what the instance committed.
 *
 * lost-commits, the rule: for each partition p, take the commits counted for p that may have taken
 * effect: acknowledged (ok) ones and indeterminate (info: a timeout, a cut connection, a 5xx whose
 * append may have reached the log) ones; definite failures (409 fenced, 404, refused, 4xx) changed
 * nothing. A commit c is followed by an acknowledged commit d when d was invoked after c completed (real
 * time). The candidates for the last commit of p in the log are those not followed by any acknowledged
 * commit of p; they overlap in real time, so the log may have put any of them last. If at least one of
 * them is acknowledged, the final committed offset of p, through every node, must be at least the
 * smallest candidate position. Why not "at least every acknowledged commit": a commit validated by the
 * coordinator before a rebalance and acknowledged after it is legitimately followed by the new owner's
 * commit, which started from the committed offset read before the first commit landed and may be lower
 * (at-least-once); generation fencing makes such overlaps short, and `regressions` reports them. Why not
 * "equal to": polls the client gave up on can make the instance commit more than the client meant.
 */
function checkGroup(
  input: CheckInput,
  rest: ReadonlyMap<string, FinalRead>,
  restMaps: ReadonlyMap<string, ReadonlyMap<number, string>>,
): { results: CheckResult[]; info: GroupInfo } {
  const { ops, nodes } = input;
  const partitions = input.topics.find((topic) => topic.name === input.groupTopic)?.partitions ?? 0;
  // Commits with their invocation times and the assignment observed right after them.
  const invokedAt = new Map<string, number>();
  const pending = new Map<string, GroupCommit>();
  const counted: CountedCommit[] = [];
  let acknowledged = 0;
  for (const op of ops) {
    if (op.f === 'group-commit') {
      if (op.type === 'invoke') {
        invokedAt.set(op.process, op.time);
        pending.delete(op.process);
      } else {
        if (op.type === 'ok') acknowledged++;
        if (op.type !== 'fail') pending.set(op.process, op);
        else pending.delete(op.process);
      }
    } else if (op.f === 'group-assignment') {
      if (op.type === 'invoke') continue;
      const commit = pending.get(op.process);
      pending.delete(op.process);
      if (commit === undefined || !isCertain(op, commit)) continue;
      const assigned = new Set(op.partitions ?? []);
      const positions = new Map(commit.offsets.filter(([partition]) => assigned.has(partition)));
      if (positions.size > 0) {
        counted.push({
          op: commit,
          invoked: invokedAt.get(commit.process) ?? commit.time,
          done: commit.time,
          positions,
        });
      }
    } else if (op.f === 'group-poll' || op.f === 'group-create' || op.f === 'group-subscribe') {
      pending.delete(op.process);
    }
  }
  const finals = ops.filter((op): op is GroupOffsetsRead => op.f === 'group-offsets');
  const describeCommit = (c: CountedCommit, partition: number): string =>
    `${c.op.type === 'ok' ? 'acknowledged' : 'indeterminate'} commit of ${c.positions.get(partition)} by ${c.op.process} ` +
    `(${c.op.instance} on node ${c.op.node}, t=${c.invoked}..${c.done} ms, history #${c.op.index})`;

  const lostCommits = new Check(
    'lost-commits',
    "each partition's final committed offset (through every node) is at least the smallest position of the " +
      'commits that may have been last (no acknowledged commit after them), when one of them is acknowledged',
  );
  let regressions = 0;
  const regressionExamples: string[] = [];
  for (let partition = 0; partition < partitions; partition++) {
    const mine = counted.filter((c) => c.positions.has(partition));
    const acks = mine.filter((c) => c.op.type === 'ok');
    // Informational: acknowledged commits lower than an acknowledged one that preceded them.
    for (const later of acks) {
      const earlier = acks.filter((c) => c.done < later.invoked);
      const highest = earlier.reduce<CountedCommit | null>(
        (best, c) =>
          best === null || c.positions.get(partition)! > best.positions.get(partition)! ? c : best,
        null,
      );
      if (highest !== null && later.positions.get(partition)! < highest.positions.get(partition)!) {
        regressions++;
        if (regressionExamples.length < 5) {
          regressionExamples.push(
            `partition ${partition}: ${describeCommit(later, partition)} after ${describeCommit(highest, partition)}`,
          );
        }
      }
    }
    const last = mine.filter((c) => !acks.some((d) => d !== c && d.invoked > c.done));
    if (!last.some((c) => c.op.type === 'ok')) continue;
    const bound = last.reduce(
      (low, c) => Math.min(low, c.positions.get(partition)!),
      Number.POSITIVE_INFINITY,
    );
    const boundBy = last.filter((c) => c.positions.get(partition) === bound);
    for (const read of finals) {
      if (read.type !== 'ok') {
        lostCommits.violation(
          `partition ${partition}: the group's offsets via node ${read.node}: ${read.error}`,
        );
        continue;
      }
      const committed = read.offsets.find(([p]) => p === partition)?.[1];
      if (committed === undefined || committed < bound) {
        lostCommits.violation(
          `partition ${partition} via node ${read.node}: committed ${committed ?? 'nothing'}${read.error ? ` (${read.error})` : ''}, ` +
            `expected at least ${bound} from ${boundBy.map((c) => describeCommit(c, partition)).join('; ')}` +
            `${last.length > boundBy.length ? ` (${last.length} candidates for the last commit)` : ''}`,
        );
      }
    }
  }
  if (counted.some((c) => c.op.type === 'ok') && finals.length === 0) {
    lostCommits.violation("the group's committed offsets were not read after healing");
  }

  // group-reads-valid: every record read by a group consumer is in every node's final read, and
  // committed offsets point into the log.
  const readsValid = new Check(
    'group-reads-valid',
    "every record a group consumer read is in every node's final read at the same (partition, offset), " +
      'and no committed offset lies beyond the final log end',
  );
  const reported = new Set<string>();
  const distinct = new Set<string>();
  let recordsRead = 0;
  for (const op of ops) {
    if (op.f !== 'group-poll' || op.type !== 'ok') continue;
    const poll: GroupPoll = op;
    for (const [partition, offset, value] of poll.records ?? []) {
      recordsRead++;
      distinct.add(at(partition, offset));
      for (const node of nodes) {
        const found = restMaps.get(`${node}:${partition}`)?.get(offset);
        if (!restMaps.has(`${node}:${partition}`)) continue; // no final read: final-reads-identical says so
        const key = `${node}:${partition}:${offset}:${value}`;
        if (found !== value && !reported.has(key)) {
          reported.add(key);
          readsValid.violation(
            `${value} read at ${at(partition, offset)} by ${poll.process} (${poll.instance} on node ${poll.node}, ` +
              `t=${poll.time} ms): node ${node} has ${found ?? 'nothing'} there`,
          );
        }
      }
    }
  }
  const logEnd = (node: number, partition: number): number | null => {
    const read = rest.get(`${node}:${partition}`);
    if (read === undefined || read.type !== 'ok') return null;
    return read.records.length > 0 ? read.records[read.records.length - 1]![0] + 1 : 0;
  };
  for (const read of finals) {
    if (read.type !== 'ok') continue;
    for (const [partition, committed] of read.offsets) {
      const end = logEnd(read.node, partition);
      if (end !== null && committed > end) {
        readsValid.violation(
          `partition ${partition} via node ${read.node}: committed offset ${committed} beyond the log end ${end}`,
        );
      }
    }
  }

  const first = nodes[0]!;
  const firstOffsets = finals.find((r) => r.node === first && r.type === 'ok');
  const committed = Array.from({ length: partitions }, (_, partition) => ({
    partition,
    committed: firstOffsets?.offsets.find(([p]) => p === partition)?.[1] ?? null,
    logEnd: logEnd(first, partition) ?? 0,
  }));
  return {
    results: [lostCommits.result(), readsValid.result()],
    info: {
      distinctRead: distinct.size,
      recordsRead,
      finalRecords: committed.reduce((n, c) => n + c.logEnd, 0),
      committed,
      regressions,
      regressionExamples,
      commitsCounted: counted.length,
      commitsAcknowledged: acknowledged,
    },
  };
}

/** The observation right after `commit`, by the same instance, certain. */
function isCertain(observation: GroupAssignment, commit: GroupCommit): boolean {
  return (
    observation.type === 'ok' && observation.certain === true && observation.instance === commit.instance
  );
}

/** Where two reads differ: null when equal. */
function firstDifference(a: readonly ReadRecord[], b: readonly ReadRecord[]): string | null {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i]![0] !== b[i]![0] || a[i]![1] !== b[i]![1]) {
      return `at position ${i}: ${a[i]![0]}=${a[i]![1]} vs ${b[i]![0]}=${b[i]![1]}`;
    }
  }
  if (a.length !== b.length) return `in length: ${a.length} vs ${b.length} records`;
  return null;
}

/** The set of who saw `inner` under `outer`, created when missing. */
function whoSaw(index: Map<string, Map<string, Set<string>>>, outer: string, inner: string): Set<string> {
  let byInner = index.get(outer);
  if (byInner === undefined) {
    byInner = new Map();
    index.set(outer, byInner);
  }
  let who = byInner.get(inner);
  if (who === undefined) {
    who = new Set();
    byInner.set(inner, who);
  }
  return who;
}
