// The report of a run: what was done (faults, counts, availability, latency) and each check's verdict.
import type { CheckResult, Informational } from './checker.ts';
import type { GroupCommit, GroupInstanceOp, GroupPoll, Op, PollComplete, SendComplete } from './history.ts';
import { FAULT_KINDS, type FaultRecord } from './nemesis.ts';

export interface ReportInput {
  readonly seed: number;
  readonly replay: string;
  readonly runDir: string;
  readonly historyPath: string;
  readonly logFiles: readonly string[];
  readonly dataKept: string | null;
  readonly topic: string;
  /** The acks=1 topic (null: no acks=1 producers). */
  readonly acksOneTopic: string | null;
  readonly partitions: number;
  /** e.g. "3 combined nodes", "3 controllers + 2 brokers". */
  readonly topology: string;
  readonly replicationFactor: number;
  readonly minInsyncReplicas: number;
  /** The early-groups scenario: the broker that was down at start; null when not run. */
  readonly earlyGroups: string | null;
  readonly timeLimitS: number;
  readonly faultPhaseMs: number;
  readonly totalMs: number;
  readonly healed: { readonly ok: boolean; readonly ms: number };
  readonly faults: readonly FaultRecord[];
  readonly ops: readonly Op[];
  readonly results: readonly CheckResult[];
  readonly info: Informational;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function percent(part: number, whole: number): string {
  return whole === 0 ? '-' : `${((100 * part) / whole).toFixed(1)}%`;
}

/** Error texts without the numbers that make each one unique. */
function errorKind(error: string | undefined): string {
  return (error ?? '?')
    .replace(/\d{3,}\s*ms/g, 'N ms')
    .replace(/:\d{4,}/g, ':PORT')
    .slice(0, 100);
}

/** Faults that make one node faulty (the others involve several: kill-all, partitions of two sides...). */
const ONE_NODE_FAULTS: ReadonlySet<string> = new Set([
  'kill',
  'kill-leader',
  'pause',
  'terminate',
  'partition-isolate',
]);

/**
 * The workload's whole 1 s windows during which at most one node was faulty (every fault overlapping
 * the window hit one node; a fault lasts from its start until the cluster was healthy again), and how many
 * of them saw an acknowledged send: the availability a replicated cluster promises with one node down.
 */
export function oneFaultWindows(
  faults: readonly FaultRecord[],
  fromMs: number,
  toMs: number,
  acknowledged: readonly { readonly time: number }[],
): { counted: number; acknowledged: number; missed: { startMs: number; fault: string }[] } {
  // A fault the cluster was not seen to recover from before the next step lasts until that step starts
  // (the next fault, or the end of the workload): not just its down time.
  const byStart = faults.toSorted((a, b) => a.at - b.at);
  const spans = byStart.map((f, index) => ({
    label: `#${f.fault.n} ${f.fault.kind} ${f.who}`,
    one: ONE_NODE_FAULTS.has(f.fault.kind),
    from: f.at,
    to:
      f.recoveredMs === null
        ? Math.max(f.endedAt, byStart[index + 1]?.at ?? toMs)
        : f.endedAt + f.recoveredMs,
  }));
  const times = acknowledged.map((send) => send.time).sort((a, b) => a - b);
  let counted = 0;
  let withAck = 0;
  let next = 0;
  const missed: { startMs: number; fault: string }[] = [];
  for (let start = fromMs; start + 1000 <= toMs; start += 1000) {
    const end = start + 1000;
    const overlapping = spans.filter((span) => span.from < end && span.to > start);
    if (overlapping.some((span) => !span.one) || overlapping.length > 1) continue;
    counted++;
    while (next < times.length && times[next]! < start) next++;
    if (next < times.length && times[next]! < end) withAck++;
    else missed.push({ startMs: start, fault: overlapping[0]?.label ?? 'none' });
  }
  return { counted, acknowledged: withAck, missed };
}

export function formatReport(input: ReportInput): string {
  const lines: string[] = [];
  const out = (line = ''): void => {
    lines.push(line);
  };
  const passed = input.results.every((r) => r.passed);
  out(`=== kraftling chaos (real processes): seed ${input.seed}`);
  out(`replay: ${input.replay}`);
  out(
    `cluster: ${input.topology}; topic ${input.topic} (acks=all)${input.acksOneTopic !== null ? ` and ${input.acksOneTopic} (acks=1)` : ''}: ` +
      `${input.partitions} partitions, replication factor ${input.replicationFactor}, min.insync.replicas ${input.minInsyncReplicas}`,
  );
  out(`early groups: ${input.earlyGroups ?? 'not run'}`);
  out(
    `duration: faults and workload ${seconds(input.faultPhaseMs)} (limit ${input.timeLimitS} s), whole run ${seconds(input.totalMs)}`,
  );

  const byKind = FAULT_KINDS.map(
    (kind) => `${kind} ${input.faults.filter((f) => f.fault.kind === kind).length}`,
  );
  out();
  out(
    `faults injected (t: since the history began, as in the history): ${input.faults.length} (${byKind.join(', ')}); one fault at a time: one node faulty, every node killed together (kill-all, crash-restart-order, the rest after a failover), or one network partition`,
  );
  for (const f of input.faults) {
    const recovery =
      f.recoveredMs === null
        ? 'not recovered before the next step'
        : `healthy again after ${f.recoveredMs} ms`;
    const leader = f.fault.kind === 'kill-leader' ? ` (leader of partition ${f.fault.partition})` : '';
    out(
      `  #${f.fault.n} t=${seconds(f.at)} ${f.fault.kind} ${f.who}${leader}, ${f.fault.shape !== null ? 'for' : 'down'} ${f.fault.downMs} ms` +
        `${f.outcome !== 'ok' ? `, ${f.outcome}` : ''}; ${recovery}`,
    );
  }
  out(
    `heal: ${input.healed.ok ? `every node ready, every ISR full after ${input.healed.ms} ms` : `NOT healthy after ${input.healed.ms} ms`}`,
  );
  const crashes = input.ops.filter((op) => op.f === 'nemesis' && 'event' in op && op.event === 'crash');
  out(
    `node exits the runner did not cause (restarted at once): ${crashes.length}${crashes.length > 0 ? ` — ${crashes.map((op) => ('detail' in op ? op.detail : '')).join('; ')}` : ''}`,
  );

  const sends = input.ops.filter(
    (op): op is SendComplete => op.f === 'send' && op.type !== 'invoke' && op.topic === input.topic,
  );
  const main = input.info.topics.find((t) => t.topic === input.topic)!;
  const ok = sends.filter((s) => s.type === 'ok');
  const fail = sends.filter((s) => s.type === 'fail');
  const info = sends.filter((s) => s.type === 'info');
  out();
  out(
    `sends (acks=all): ${sends.length}: ok ${ok.length} (availability ${percent(ok.length, sends.length)}), ` +
      `fail ${fail.length}, info ${info.length}`,
  );
  const refused = fail.filter((s) => (s.error ?? '').startsWith('ECONNREFUSED')).length;
  out(
    `  availability without the sends to a node that was down (connection refused: certainly not sent): ` +
      `${percent(ok.length, sends.length - refused)}`,
  );
  const probes = ok.filter((s) => s.process === 'nemesis').length;
  if (probes > 0)
    out(`  of which acknowledged sends of the nemesis (failover-then-rest, through a new leader): ${probes}`);
  const latencies = ok.map((s) => s.latencyMs).sort((a, b) => a - b);
  out(
    `  latency of ok sends: p50 ${percentile(latencies, 50)} ms, p90 ${percentile(latencies, 90)} ms, ` +
      `p99 ${percentile(latencies, 99)} ms, max ${percentile(latencies, 100)} ms`,
  );
  let gap = 0;
  // From the start of the workload (the history begins earlier, with the cluster's start).
  const workloadStart = input.ops.find((op) => op.f === 'nemesis' && 'event' in op && op.event === 'start');
  let previous = workloadStart?.time ?? 0;
  let gapAt = previous;
  for (const s of ok) {
    if (s.time - previous > gap) {
      gap = s.time - previous;
      gapAt = previous;
    }
    previous = s.time;
  }
  out(`  longest time without an acknowledgement: ${seconds(gap)} (from t=${seconds(gapAt)})`);
  const windows = oneFaultWindows(input.faults, workloadStart?.time ?? 0, sends.at(-1)?.time ?? 0, ok);
  out(
    `  1 s windows with at most one faulty node: ${windows.counted}, with an acknowledged send: ` +
      `${windows.acknowledged} (${percent(windows.acknowledged, windows.counted)})`,
  );
  if (windows.missed.length > 0)
    out(
      `    without one: ${windows.missed
        .slice(0, 12)
        .map((window) => `t=${seconds(window.startMs)} (${window.fault})`)
        .join(', ')}${windows.missed.length > 12 ? ', ...' : ''}`,
    );
  const kinds = new Map<string, number>();
  for (const s of [...fail, ...info]) {
    const kind = `${s.type} ${errorKind(s.error)}`;
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  for (const [kind, count] of [...kinds].sort((a, b) => b[1] - a[1]).slice(0, 8)) out(`  ${count} × ${kind}`);
  out(
    `  unacknowledged sends in the final reads: ${main.failedButPresent.length} of ${fail.length} failed ` +
      `(informational), ${main.indeterminatePresent} of ${info.length} indeterminate`,
  );
  for (const value of main.failedButPresent.slice(0, 5)) out(`    failed but present: ${value}`);
  for (const topic of input.info.topics) {
    if (topic.acks !== '1') continue;
    const mine = input.ops.filter(
      (op): op is SendComplete => op.f === 'send' && op.type !== 'invoke' && op.topic === topic.topic,
    );
    const acked = mine.filter((s) => s.type === 'ok');
    const latencies1 = acked.map((s) => s.latencyMs).sort((a, b) => a - b);
    out(
      `sends (acks=1, ${topic.topic}, to the leader's internal listener): ${mine.length}: ok ${acked.length}, ` +
        `fail ${mine.filter((s) => s.type === 'fail').length}, info ${mine.filter((s) => s.type === 'info').length}; ` +
        `latency p50 ${percentile(latencies1, 50)} ms, p99 ${percentile(latencies1, 99)} ms`,
    );
    out(
      `  INFO acknowledged acks=1 records lost (informational, Kafka allows it): ${topic.lostAcknowledged.length} of ${acked.length}`,
    );
    for (const example of topic.lostAcknowledged.slice(0, 5)) out(`    lost: ${example}`);
  }
  const observed = input.ops.filter(
    (op) => (op.f === 'offsets' || op.f === 'group-lags') && op.type === 'ok',
  );
  out(
    `offset observations (v2 /offsets, v3 lags): ${observed.length} answered of ` +
      `${input.ops.filter((op) => (op.f === 'offsets' || op.f === 'group-lags') && op.type !== 'invoke').length}`,
  );
  const early = input.ops.filter((op) => op.f === 'early-group' && op.type !== 'invoke');
  for (const op of early) {
    if (op.f !== 'early-group') continue;
    out(
      `  early group ${op.request} via node ${op.node} (t=${seconds(op.time)}): ${op.type === 'ok' ? `${op.status}` : (op.error ?? op.type)}`,
    );
  }

  const polls = input.ops.filter((op): op is PollComplete => op.f === 'poll' && op.type !== 'invoke');
  const pollsOk = polls.filter((p) => p.type === 'ok');
  const recordsRead = pollsOk.reduce((n, p) => n + (p.records?.length ?? 0), 0);
  out(
    `polls: ${polls.length}: ok ${pollsOk.length}, fail ${polls.filter((p) => p.type === 'fail').length}, ` +
      `info ${polls.filter((p) => p.type === 'info').length}; records read ${recordsRead}`,
  );
  const group = input.info.group;
  if (group !== null) {
    const done = <T extends Op>(f: T['f']) =>
      input.ops.filter((op): op is T => op.f === f && op.type !== 'invoke');
    const counts = (list: readonly Op[]): string =>
      `ok ${list.filter((op) => op.type === 'ok').length}, fail ${list.filter((op) => op.type === 'fail').length}, ` +
      `info ${list.filter((op) => op.type === 'info').length}`;
    const gpolls = done<GroupPoll>('group-poll');
    const commits = done<GroupCommit>('group-commit');
    const creates = done<GroupInstanceOp>('group-create');
    const deletes = done<GroupInstanceOp>('group-delete');
    out(
      `group consumers (nemesis-group): instances created ${creates.filter((c) => c.type === 'ok').length} ` +
        `(${counts(creates)}), given up and deleted ${deletes.length}; polls ${gpolls.length}: ${counts(gpolls)}; ` +
        `records read ${group.recordsRead}`,
    );
    out(
      `  commits ${commits.length}: ${counts(commits)}; counted (a certain assignment observed right after) ` +
        `${group.commitsCounted}`,
    );
    const kinds = new Map<string, number>();
    for (const op of [...gpolls, ...commits, ...creates]) {
      if (op.type === 'ok') continue;
      const kind = `${op.f} ${op.type} ${errorKind(op.error)}`;
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
    for (const [kind, count] of [...kinds].sort((a, b) => b[1] - a[1]).slice(0, 6))
      out(`  ${count} × ${kind}`);
  }
  for (const topic of input.info.topics)
    out(
      `final reads of ${topic.topic}: records per partition ${topic.finalRecords.map((n, p) => `${p}: ${n}`).join(', ')}`,
    );

  out();
  out('checks:');
  for (const r of input.results) {
    out(
      `  ${r.passed ? 'PASS' : 'FAIL'} ${r.name}: ${r.description}${r.passed ? '' : ` — ${r.violations} violation(s)`}`,
    );
    for (const example of r.examples) out(`         ${example}`);
  }
  if (group !== null) {
    out(
      `  INFO group-progress (informational): the group read ${group.distinctRead} distinct records of ${group.finalRecords} ` +
        `in the final log (${percent(group.distinctRead, group.finalRecords)}; ${group.recordsRead} with re-reads); ` +
        `committed/log end: ${group.committed.map((c) => `${c.partition}: ${c.committed ?? '-'}/${c.logEnd}`).join(', ')}`,
    );
    out(
      `  INFO commit regressions (informational): ${group.regressions} acknowledged commit(s) below an earlier acknowledged one`,
    );
    for (const example of group.regressionExamples) out(`         ${example}`);
  }
  out();
  out(`history: ${input.historyPath}`);
  out(`node logs: ${input.logFiles.join(' ')}`);
  if (input.dataKept !== null) out(`data directories kept: ${input.dataKept}`);
  out(`result: ${passed ? 'PASS' : 'FAIL'}`);
  return `${lines.join('\n')}\n`;
}
