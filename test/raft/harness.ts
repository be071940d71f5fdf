// A synchronous in-memory cluster for unit tests (etcd-raft's `network` in raft_test.go): every Ready is
// persisted to an in-memory durable state at once, messages are delivered in FIFO order, and tests can
// cut links or drop message types.
import { RaftNode, type RaftOptions } from '../../raft/node.ts';
import {
  type Entry,
  type HardState,
  type LogIndex,
  type Message,
  type MessageType,
  NONE,
  type NodeId,
  nodeId,
  type PersistentState,
  type Random,
  type ReadState,
  type Ready,
  type Snapshot,
  type Term,
} from '../../raft/types.ts';

export function seededRandom(seed: number): Random {
  let state = seed >>> 0 || 1;
  return {
    nextInt(maxExclusive: number): number {
      // xorshift32: deterministic, good enough for election jitter in tests.
      state ^= state << 13;
      state >>>= 0;
      state ^= state >>> 17;
      state ^= state << 5;
      state >>>= 0;
      return state % maxExclusive;
    },
  };
}

/** The durable state of one node, as its storage would hold it. */
export class MemoryDisk {
  hardState: HardState = { term: 0 as Term, vote: NONE, commit: 0 as LogIndex };
  snapshot: Snapshot | null = null;
  entries: Entry[] = [];

  state(): PersistentState {
    return { hardState: this.hardState, snapshot: this.snapshot, entries: [...this.entries] };
  }

  saveSnapshot(snapshot: Snapshot): void {
    const { index, term } = snapshot.metadata;
    const matching = this.entries.find((entry) => entry.index === index)?.term === term;
    this.snapshot = snapshot;
    this.entries = matching ? this.entries.filter((entry) => entry.index > index) : [];
  }

  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = entries[0]!.index;
    this.entries = this.entries.filter((entry) => entry.index < first).concat(entries);
  }
}

export interface TestNode {
  readonly raft: RaftNode;
  readonly disk: MemoryDisk;
  /** Data of applied non-empty Normal entries, in order. */
  readonly applied: string[];
  /** Every read-index outcome this incarnation's Readies carried, in order. */
  readonly readStates: ReadState[];
}

export interface ClusterOptions {
  readonly voters: number;
  readonly observers?: number;
  readonly seed?: number;
  readonly raft?: Partial<Omit<RaftOptions, 'id' | 'voters' | 'state' | 'random'>>;
}

export class TestCluster {
  readonly nodes = new Map<NodeId, TestNode>();
  readonly voterIds: NodeId[];
  private readonly options: ClusterOptions;
  private readonly inFlight: Message[] = [];
  private readonly cut = new Set<string>();
  private readonly down = new Set<NodeId>();
  /** Message types silently dropped (e.g. to test a rule in isolation). */
  readonly dropTypes = new Set<MessageType>();
  /** Every message ever delivered, for assertions. */
  readonly delivered: Message[] = [];
  /** Messages for which this returns true are dropped at delivery (finer than dropTypes). */
  dropWhen: ((message: Message) => boolean) | null = null;
  /** Chooses which in-flight message is delivered next (default: the oldest, FIFO); for reordering. */
  nextDelivery: ((inFlightCount: number) => number) | null = null;
  /** Messages for which this returns true are held back until the next stabilize (late delivery). */
  delayWhen: ((message: Message) => boolean) | null = null;
  private readonly delayed: Message[] = [];
  /** Messages for which this returns true are delivered, and also queued again (duplication). */
  duplicateWhen: ((message: Message) => boolean) | null = null;
  /** Called for every Ready once it is persisted, before its messages are queued and it is applied. */
  onReady: ((id: NodeId, ready: Ready, node: TestNode) => void) | null = null;

  constructor(options: ClusterOptions) {
    this.options = options;
    this.voterIds = Array.from({ length: options.voters }, (_, i) => nodeId(i + 1));
    const total = options.voters + (options.observers ?? 0);
    for (let i = 1; i <= total; i++) this.start(nodeId(i), new MemoryDisk());
  }

  node(id: number): TestNode {
    const node = this.nodes.get(nodeId(id));
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  /** (Re)creates a node from what its disk holds, as a process restart does. */
  start(id: NodeId, disk: MemoryDisk): TestNode {
    const raft = new RaftNode({
      id,
      voters: this.voterIds,
      state: disk.state(),
      random: seededRandom((this.options.seed ?? 1) * 1000 + id),
      ...this.options.raft,
    });
    const applied: string[] = disk.snapshot
      ? (JSON.parse(new TextDecoder().decode(disk.snapshot.data)) as string[])
      : [];
    const node = { raft, disk, applied, readStates: [] };
    this.nodes.set(id, node);
    this.down.delete(id);
    return node;
  }

  crash(id: number): void {
    this.down.add(nodeId(id));
  }

  restart(id: number): TestNode {
    const disk = this.node(id).disk;
    return this.start(nodeId(id), disk);
  }

  isolate(id: number): void {
    for (const other of this.nodes.keys()) {
      if (other !== id) {
        this.cut.add(`${id}-${other}`);
        this.cut.add(`${other}-${id}`);
      }
    }
  }

  heal(): void {
    this.cut.clear();
  }

  /** Processes every node's Ready: persist, then queue messages, then apply. */
  processReadies(): void {
    for (const [id, node] of this.nodes) {
      if (this.down.has(id)) continue;
      while (node.raft.hasReady()) {
        const ready = node.raft.ready();
        if (ready.snapshot !== null) node.disk.saveSnapshot(ready.snapshot);
        node.disk.append(ready.entries);
        if (ready.hardState !== null) node.disk.hardState = ready.hardState;
        this.onReady?.(id, ready, node);
        this.inFlight.push(...ready.messages);
        if (ready.restoreSnapshot && ready.snapshot !== null) {
          node.applied.splice(
            0,
            node.applied.length,
            ...(JSON.parse(new TextDecoder().decode(ready.snapshot.data)) as string[]),
          );
        }
        for (const entry of ready.committedEntries) {
          if (entry.data.length > 0) node.applied.push(new TextDecoder().decode(entry.data));
        }
        node.readStates.push(...ready.readStates);
        node.raft.advance(ready);
      }
    }
  }

  /** Delivers messages until none are left (or `limit` were delivered). */
  stabilize(limit = 100_000): void {
    this.processReadies();
    this.inFlight.push(...this.delayed.splice(0));
    let count = 0;
    while (this.inFlight.length > 0) {
      if (++count > limit) throw new Error('cluster did not stabilize');
      this.deliverOne();
    }
  }

  /**
   * Takes at most `count` messages off the network (delivering or dropping each) and leaves the rest in
   * flight, so that a test can crash or cut a node in the middle of an exchange.
   */
  deliver(count: number): void {
    this.processReadies();
    for (let i = 0; i < count && this.inFlight.length > 0; i++) this.deliverOne();
  }

  private deliverOne(): void {
    const next = this.nextDelivery?.(this.inFlight.length) ?? 0;
    const message = this.inFlight.splice(next, 1)[0]!;
    if (this.down.has(message.to) || this.cut.has(`${message.from}-${message.to}`)) return;
    if (this.dropTypes.has(message.type)) return;
    if (this.dropWhen?.(message)) return;
    if (this.delayWhen?.(message)) {
      this.delayed.push(message);
      return;
    }
    const target = this.nodes.get(message.to);
    if (target === undefined) return;
    this.delivered.push(message);
    if (this.duplicateWhen?.(message)) this.inFlight.push(message);
    target.raft.step(message);
    this.processReadies();
  }

  tick(id: number, times = 1): void {
    for (let i = 0; i < times; i++) this.node(id).raft.tick();
  }

  /** Ticks every live node `times` times, stabilizing after each round. */
  tickAll(times = 1): void {
    for (let i = 0; i < times; i++) {
      for (const [id, node] of this.nodes) if (!this.down.has(id)) node.raft.tick();
      this.stabilize();
    }
  }

  /** Makes `id` campaign by ticking it past its election timeout. */
  campaign(id: number): void {
    const node = this.node(id);
    const electionTicks = this.options.raft?.electionTicks ?? 10;
    for (let i = 0; i < electionTicks * 2 && node.raft.status().role !== 'candidate'; i++) {
      node.raft.tick();
      this.processReadies();
      if (node.raft.status().role === 'preCandidate') break;
    }
    this.stabilize();
  }

  isDown(id: number): boolean {
    return this.down.has(nodeId(id));
  }

  /**
   * Ticks `id` alone, stabilizing after each tick, until it leads (other nodes' timers stand still, so
   * they do not compete). Returns whether it became leader within `ticksMax` ticks.
   */
  elect(id: number, ticksMax = 100): boolean {
    const node = this.node(id);
    for (let i = 0; i < ticksMax && node.raft.status().role !== 'leader'; i++) {
      node.raft.tick();
      this.stabilize();
    }
    return node.raft.status().role === 'leader';
  }

  leader(): TestNode | undefined {
    return [...this.nodes.entries()].find(
      ([id, node]) => !this.down.has(id) && node.raft.status().role === 'leader',
    )?.[1];
  }

  propose(id: number, value: string): void {
    const result = this.node(id).raft.propose(new TextEncoder().encode(value));
    if (!result.ok) throw new Error(`proposal refused: ${result.reason}, leader ${result.leader}`);
    this.stabilize();
  }
}
