import type { NetworkConfig } from './network.ts';
import type { Microseconds } from './scheduler.ts';

/** Constants of the simulated world; the schedule (what goes wrong, and when) is generated per seed. */
export interface SimConfig {
  readonly tickUs: Microseconds;
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  /** Small, so that appends carry few entries: exercises pipelining, flow control and partial acks. */
  readonly maxAppendBytes: number;
  readonly maxInflightAppends: number;
  /** A node snapshots its state machine every this many applied entries (small: snapshots get sent). */
  readonly compactEvery: number;
  readonly syncMinUs: Microseconds;
  readonly syncMaxUs: Microseconds;
  readonly network: NetworkConfig;
  /** Client to node (and back): clients are outside the partitions. */
  readonly clientDelayMaxUs: Microseconds;
  /** Liveness bounds after healing, in election timeouts (the maximum randomized one). */
  readonly leaderBoundElections: number;
  readonly convergeBoundElections: number;
  /** A queue bound: a paused node's inbox drops beyond it, as a full socket buffer would. */
  readonly inboxMax: number;
  /** A runaway guard: a run that needs more events than this is a liveness failure. */
  readonly eventsMax: number;
}

export const DEFAULT_CONFIG: SimConfig = {
  tickUs: 10_000,
  electionTicks: 10,
  heartbeatTicks: 1,
  maxAppendBytes: 96,
  maxInflightAppends: 4,
  compactEvery: 20,
  syncMinUs: 100,
  syncMaxUs: 2_000,
  network: { minDelayUs: 200, maxDelayUs: 3_000 },
  clientDelayMaxUs: 1_000,
  leaderBoundElections: 20,
  convergeBoundElections: 20,
  inboxMax: 10_000,
  eventsMax: 5_000_000,
};

/** The longest randomized election timeout, the unit of the liveness bounds. */
export function electionTimeoutMaxUs(config: SimConfig): Microseconds {
  return 2 * config.electionTicks * config.tickUs;
}
