import { CorruptLogError } from '../../src/storage/errors.ts';
import pino from 'pino';
import type { RaftStatus } from '../../raft/node.ts';
import type { Entry, NodeId, Term } from '../../raft/types.ts';
import type { MetadataImage } from '../../src/metadata/image.ts';
import type { ControllerClient } from '../../src/node/controller-client.ts';
import type { AlterPartitionRequest } from '../../src/replication/replica-manager.ts';
import { InvariantError } from '../../raft/assert.ts';
import { Violation } from '../checkers/violation.ts';
import { MS } from '../sim/scheduler.ts';
import { ElectionSafetyChecker } from '../checkers/election-safety.ts';
import { LogMatchingChecker } from '../checkers/log-matching.ts';
import type { ClusterConfig } from './cluster-config.ts';
import { MetadataChecker } from './metadata-checkers.ts';
import { CORRECT_CLUSTER, type ClusterVariant } from './planted-bugs.ts';
import type { ClusterProtocol } from './protocol.ts';
import { simControllerClient } from './sim-controller-transport.ts';
import { SimProcess } from './sim-process.ts';
import { type ServerHooks, SimServer } from './sim-server.ts';
import { World } from './world.ts';

/** A process that exited because its log directory failed is started again (by systemd, say) after this. */
const LOG_DIR_RESTART_DELAY_US = 1_000 * MS;

/** The admin client's address on the network: outside the cluster, never faulty itself. */
export const ADMIN_ID = 100 as NodeId;

/**
 * The whole simulated cluster of one seed: the world, the servers of the topology, an admin client
 * outside the cluster, and the checkers wired to every server's hooks, so that safety is checked as the
 * run unfolds.
 */
export class SimCluster implements ServerHooks {
  readonly config: ClusterConfig;
  readonly world: World<ClusterProtocol>;
  readonly servers = new Map<NodeId, SimServer>();
  readonly admin: ControllerClient;
  readonly adminProcess: SimProcess;
  readonly electionSafety = new ElectionSafetyChecker();
  readonly logMatching = new LogMatchingChecker();
  readonly metadata = new MetadataChecker();
  /** Set when the liveness phase begins: no fault starts after it. */
  healed = false;
  /** Replicas whose log the bit-rot fault damaged, as `node/partition` (bit-rot.ts). */
  readonly bitRotDamaged = new Set<string>();
  /** Restarts caused by a replica dropping its damaged copy (allowed after healing: the damage stays until read). */
  damageStops = new Map<NodeId, number>();
  /** Nodes in a controlled shutdown (SIGTERM): they stop, then start again, also after healing. */
  readonly terminating = new Set<NodeId>();

  constructor(seed: number, config: ClusterConfig, variant: ClusterVariant = CORRECT_CLUSTER) {
    this.config = config;
    this.world = new World<ClusterProtocol>({
      seed,
      network: config.network,
      eventsMax: config.eventsMax,
      // A produce is never retried; a group request is one HTTP request (a duplicated join would add a member).
      notDuplicated: ['produce', 'group', 'group-client', 'kafka'],
    });
    for (const id of config.servers) {
      const server = new SimServer({
        id,
        roles: { controller: config.controllers.includes(id), broker: config.brokers.includes(id) },
        config,
        scheduler: this.world.scheduler,
        network: this.world.network,
        random: this.world.root.fork(`server-${id}`),
        hooks: this,
        variant,
      });
      this.servers.set(id, server);
      this.world.network.attach(id, server);
    }
    this.adminProcess = new SimProcess('admin', this.world.scheduler, 0);
    this.adminProcess.start();
    this.world.network.attach(ADMIN_ID, {
      process: this.adminProcess,
      handle: () => new Promise(() => {}),
    });
    this.admin = simControllerClient({
      self: ADMIN_ID,
      voters: config.controllers,
      network: this.world.network,
      timers: this.adminProcess.timers,
      leaderHint: () => 0 as NodeId,
      requestTimeoutMs: 3 * config.controllerRequestTimeoutMs,
      logger: pino({ level: 'silent' }),
    });
  }

  start(): void {
    for (const server of this.servers.values()) server.start();
  }

  server(id: NodeId): SimServer {
    const server = this.servers.get(id);
    if (server === undefined) throw new Error(`no server ${id}`);
    return server;
  }

  /** The node that leads the metadata quorum in the highest term among running, unpaused nodes. */
  raftLeader(): SimServer | null {
    let best: SimServer | null = null;
    let bestTerm = -1;
    for (const server of this.servers.values()) {
      const status = server.raftStatus();
      if (status === null || server.process.paused || status.role !== 'leader') continue;
      if (status.term > bestTerm) {
        best = server;
        bestTerm = status.term;
      }
    }
    return best;
  }

  // --- MetadataRaftHooks ---------------------------------------------------------------------------

  statusChanged(id: NodeId, status: RaftStatus): void {
    if (status.role === 'leader' && this.electionSafety.observeLeader(status.term, id)) {
      this.world.note(`node ${id} leads metadata term ${status.term}`);
    }
  }

  entriesWritten(id: NodeId, entries: readonly Entry[], prevTerm: Term | null): void {
    this.logMatching.observeEntries(id, entries, prevTerm);
  }

  applied(id: NodeId, entries: readonly Entry[]): void {
    this.metadata.observeApplied(id, entries);
  }

  imageApplied(id: NodeId, image: MetadataImage): void {
    this.metadata.observeImage(id, image);
  }

  /** Taps on the AlterPartitions brokers send (a fault reacting to one: faults.ts). */
  readonly alterPartitionTaps = new Set<(from: NodeId, request: AlterPartitionRequest) => void>();

  alterPartitionSent(id: NodeId, request: AlterPartitionRequest): void {
    for (const tap of [...this.alterPartitionTaps]) tap(id, request);
  }

  violation(violation: Violation): void {
    this.world.fail(violation);
  }

  imagePublished(id: NodeId, image: MetadataImage): void {
    this.metadata.observePublished(id, image);
  }

  logDirFailed(id: NodeId, error: Error): void {
    // An I/O error takes the directory offline by design; a broken assertion of the product does too
    // (the fetcher's), and that is a bug, not a fault.
    if (causes(error).some((cause) => cause instanceof InvariantError)) {
      this.world.fail(new Violation('product-assertion', `node ${id}: ${error.message}`));
      return;
    }
    const server = this.server(id);
    if (causes(error).some((cause) => cause instanceof CorruptLogError))
      this.damageStops.set(id, (this.damageStops.get(id) ?? 0) + 1);
    this.world.note(`node ${id}: log directory offline (${error.message}); the process exits`);
    server.kill();
    this.world.scheduler.after(LOG_DIR_RESTART_DELAY_US, () => {
      if (server.alive) return;
      server.start();
      this.world.note(`node ${id} restarted after its log directory failed`);
    });
  }
}

function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let at = error; at !== undefined && chain.length < 10; at = (at as { cause?: unknown }).cause) {
    chain.push(at);
    if (!(at instanceof Error)) break;
  }
  return chain;
}
