// A small synchronous, deterministic cluster of controller nodes for the controller simulation: each
// node is a RaftNode (persisting to an in-memory disk), a MetadataImage state machine (one RecordBatch
// per committed entry, applied at offset = the entry's index) and a QuorumController wired as the real
// node will be: MetadataLog.append proposes the encoded batch and resolves once that index is applied
// with the same term; it rejects with NOT_CONTROLLER when the node does not lead or when another entry
// ends up at that index, and (option rejectOnStepDown) as soon as the node loses the leadership, as
// Kafka fails pending writes when it renounces. The controller of the Raft leader is told
// becomeLeader(term); the others resign().
import { RaftNode } from '../../../raft/node.ts';
import {
  type Entry,
  EntryType,
  type HardState,
  type LogIndex,
  type Message,
  NONE,
  type NodeId,
  nodeId,
  type PersistentState,
  type Random,
  type SoftState,
  type Term,
} from '../../../raft/types.ts';
import { isKafkaError, KafkaError } from '../../../src/common/kafka-errors.ts';
import {
  type ControllerLogger,
  type MetadataLog,
  QuorumController,
} from '../../../src/metadata/controller/quorum-controller.ts';
import { type MetadataOffset, metadataOffset } from '../../../src/metadata/ids.ts';
import { emptyImage, type MetadataImage } from '../../../src/metadata/image.ts';
import { decodeRecordBatch, encodeRecordBatch, type MetadataRecord } from '../../../src/metadata/records.ts';
import { applyBatch } from '../../../src/metadata/reducer.ts';
import { flush, uuidFromCounter } from './fixtures.ts';

/** xorshift32: a small seeded generator, so that a seed replays the same run. */
export class SeededRandom implements Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
    for (let i = 0; i < 4; i++) this.next();
  }

  private next(): number {
    this.state ^= this.state << 13;
    this.state >>>= 0;
    this.state ^= this.state >>> 17;
    this.state ^= this.state << 5;
    this.state >>>= 0;
    return this.state;
  }

  nextInt(maxExclusive: number): number {
    return this.next() % maxExclusive;
  }

  chance(probability: number): boolean {
    return this.next() / 0x1_0000_0000 < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.nextInt(items.length)]!;
  }
}

class MemoryDisk {
  hardState: HardState = { term: 0 as Term, vote: NONE, commit: 0 as LogIndex };
  entries: Entry[] = [];

  state(): PersistentState {
    return { hardState: this.hardState, snapshot: null, entries: [...this.entries] };
  }

  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = entries[0]!.index;
    this.entries = this.entries.filter((entry) => entry.index < first).concat(entries);
  }
}

interface PendingAppend {
  readonly term: Term;
  readonly resolve: (offset: MetadataOffset) => void;
  readonly reject: (error: unknown) => void;
}

export const TICK_MS = 100;

export interface SimOptions {
  readonly seed: number;
  readonly voters: number;
  readonly sessionTimeoutMs: number;
  /** Pending appends fail as soon as the node loses the leadership (else only when replaced). */
  readonly rejectOnStepDown: boolean;
  /** Chance that a message is lost. */
  readonly dropRate: number;
  /** Called on every applied batch, with the node's image after it. */
  readonly onApplied: (node: SimNode, image: MetadataImage) => void;
  /** Called with every error a controller logs that is not an expected NOT_CONTROLLER. */
  readonly onUnexpected: (what: string) => void;
}

/** One process incarnation of a controller node. A restart makes a new one from the same disk. */
export class SimNode {
  readonly id: NodeId;
  readonly raft: RaftNode;
  readonly disk: MemoryDisk;
  readonly controller: QuorumController;
  image: MetadataImage = emptyImage();
  /** The term this node's controller was told it leads (becomeLeader), or null after resign(). */
  controllerEpoch: Term | null = null;
  alive = true;
  readonly pending = new Map<number, PendingAppend>();

  constructor(id: NodeId, disk: MemoryDisk, cluster: SimCluster, options: SimOptions) {
    this.id = id;
    this.disk = disk;
    this.raft = new RaftNode({
      id,
      voters: cluster.voterIds,
      state: disk.state(),
      random: new SeededRandom(options.seed * 7919 + id * 104729 + cluster.restarts),
      electionTicks: 10,
      heartbeatTicks: 1,
    });
    const log: MetadataLog = {
      append: (records) => this.append(cluster, records),
      image: () => this.image,
    };
    const logger: ControllerLogger = {
      info: () => {},
      warn: (fields, message) => {
        const error = fields.err;
        if (error !== undefined && !isKafkaError(error, 'NOT_CONTROLLER')) {
          options.onUnexpected(
            `node ${id}: ${message}: ${error instanceof Error ? error.stack : String(error)}`,
          );
        }
      },
    };
    this.controller = new QuorumController({
      config: {
        nodeId: id,
        sessionTimeoutMs: options.sessionTimeoutMs,
        defaultPartitions: 1,
        defaultReplicationFactor: 1,
        uncleanLeaderElectionEnable: false,
      },
      environment: { nowMs: () => cluster.nowMs, newUuid: () => uuidFromCounter(++cluster.uuids, 'c') },
      log,
      logger,
    });
  }

  private append(cluster: SimCluster, records: readonly MetadataRecord[]): Promise<MetadataOffset> {
    if (!this.alive) return new Promise(() => {}); // a dead process answers nothing
    const result = this.raft.propose(encodeRecordBatch(records));
    cluster.activity++;
    if (!result.ok)
      return Promise.reject(
        new KafkaError('NOT_CONTROLLER', `node ${this.id} does not lead (${result.reason})`),
      );
    return new Promise((resolve, reject) =>
      this.pending.set(result.index, { term: result.term, resolve, reject }),
    );
  }

  apply(entry: Entry, options: SimOptions): void {
    const records =
      entry.type === EntryType.Normal && entry.data.length > 0 ? decodeRecordBatch(entry.data) : [];
    this.image = applyBatch(this.image, records, metadataOffset(entry.index));
    options.onApplied(this, this.image);
    const pending = this.pending.get(entry.index);
    if (pending === undefined) return;
    this.pending.delete(entry.index);
    if (pending.term === entry.term) pending.resolve(metadataOffset(entry.index));
    else
      pending.reject(
        new KafkaError('NOT_CONTROLLER', `entry ${entry.index} was replaced (term ${entry.term})`),
      );
  }

  roleChanged(soft: SoftState, options: SimOptions): void {
    if (soft.role === 'leader') {
      this.controllerEpoch = soft.term;
      this.controller.becomeLeader(soft.term);
      return;
    }
    if (this.controllerEpoch !== null) {
      this.controllerEpoch = null;
      this.controller.resign();
    }
    if (!options.rejectOnStepDown) return;
    for (const [index, pending] of this.pending) {
      this.pending.delete(index);
      pending.reject(new KafkaError('NOT_CONTROLLER', `node ${this.id} lost the leadership`));
    }
  }
}

export class SimCluster {
  readonly voterIds: NodeId[];
  readonly nodes = new Map<number, SimNode>();
  private readonly disks = new Map<number, MemoryDisk>();
  private readonly options: SimOptions;
  readonly random: SeededRandom;
  private readonly inFlight: Message[] = [];
  private readonly cut = new Set<string>();
  nowMs = 1_000_000;
  uuids = 0;
  restarts = 0;
  /** Grows with every proposal, Ready and delivery: settle() runs until it stops growing. */
  activity = 0;

  constructor(options: SimOptions) {
    this.options = options;
    this.random = new SeededRandom(options.seed);
    this.voterIds = Array.from({ length: options.voters }, (_, i) => nodeId(i + 1));
    for (const id of this.voterIds) {
      this.disks.set(id, new MemoryDisk());
      this.start(id);
    }
  }

  private start(id: number): SimNode {
    const node = new SimNode(nodeId(id), this.disks.get(id)!, this, this.options);
    this.nodes.set(id, node);
    return node;
  }

  node(id: number): SimNode {
    return this.nodes.get(id)!;
  }

  isUp(id: number): boolean {
    return this.node(id).alive;
  }

  crash(id: number): void {
    const node = this.node(id);
    node.alive = false;
    node.controllerEpoch = null;
  }

  restart(id: number): SimNode {
    this.restarts++;
    return this.start(id);
  }

  isolate(id: number): void {
    for (const other of this.voterIds) {
      if (other !== id) {
        this.cut.add(`${id}-${other}`);
        this.cut.add(`${other}-${id}`);
      }
    }
  }

  heal(): void {
    this.cut.clear();
  }

  isIsolated(id: number): boolean {
    return this.voterIds.some((other) => this.cut.has(`${id}-${other}`));
  }

  /** Whether a request from a process on node `from` reaches node `to`. */
  reachable(from: number, to: number): boolean {
    return this.isUp(from) && this.isUp(to) && !this.cut.has(`${from}-${to}`);
  }

  /** The active controller a process on node `from` can reach (the highest epoch if several). */
  activeControllerFrom(from: number): SimNode | undefined {
    const candidates = [...this.nodes.values()].filter(
      (n) => n.alive && n.controller.isActive() && (n.id === from || this.reachable(from, n.id)),
    );
    candidates.sort((a, b) => (b.controllerEpoch ?? 0) - (a.controllerEpoch ?? 0));
    return candidates[0];
  }

  private processReadies(node: SimNode): void {
    if (!node.alive) return;
    while (node.raft.hasReady()) {
      this.activity++;
      const ready = node.raft.ready();
      if (ready.snapshot !== null) throw new Error('the simulation does not compact: no snapshot expected');
      node.disk.append(ready.entries);
      if (ready.hardState !== null) node.disk.hardState = ready.hardState;
      this.inFlight.push(...ready.messages);
      for (const entry of ready.committedEntries) node.apply(entry, this.options);
      node.raft.advance(ready);
      if (ready.softState !== null) node.roleChanged(ready.softState, this.options);
    }
  }

  /** Delivers messages until none are left. */
  stabilize(): void {
    for (const node of this.nodes.values()) this.processReadies(node);
    let delivered = 0;
    while (this.inFlight.length > 0) {
      if (++delivered > 200_000) throw new Error('cluster did not stabilize');
      const message = this.inFlight.shift()!;
      const target = this.nodes.get(message.to);
      if (target === undefined || !target.alive || !this.isUp(message.from)) continue;
      if (this.cut.has(`${message.from}-${message.to}`)) continue;
      if (this.random.chance(this.options.dropRate)) continue;
      this.activity++;
      target.raft.step(message);
      this.processReadies(target);
    }
  }

  /** Alternates microtask flushes and message delivery until nothing moves. */
  async settle(): Promise<void> {
    for (let round = 0; round < 500; round++) {
      const before = this.activity;
      await flush(50);
      this.stabilize();
      await flush(50);
      if (this.activity === before) return;
    }
    throw new Error('cluster did not settle');
  }

  /** Time passes by one tick: every live Raft node and controller ticks. */
  async tick(): Promise<void> {
    this.nowMs += TICK_MS;
    for (const node of this.nodes.values()) {
      if (!node.alive) continue;
      node.raft.tick();
      this.processReadies(node);
      node.controller.tick();
    }
    await this.settle();
  }
}
