// A broker's lease with the controller (Kafka's BrokerLifecycleManager): register with a new
// incarnation id, then heartbeat with the metadata offset applied so far. The broker starts fenced and
// asks to stay fenced (wantFence) until it is ready to unfence: caught up with the metadata quorum and
// publishing to its data plane (metadata-publisher.ts); the controller unfences it once its heartbeat
// shows the registration applied. A controller that forgot it (STALE_BROKER_EPOCH) makes it register
// again. On stop, a controlled shutdown hands its leaderships over before the process exits.
import type { Logger } from 'pino';
import { isKafkaError } from '../common/kafka-errors.ts';
import type { Endpoint } from '../metadata/controller/rpc-codec.ts';
import { sleep, type Timers } from '../replication/timers.ts';
import type { ControllerClient } from './controller-client.ts';

export type BrokerState = 'registering' | 'fenced' | 'running' | 'shuttingDown' | 'stopped';

export interface BrokerLifecycleOptions {
  readonly clusterId: string;
  readonly brokerId: number;
  readonly endpoints: readonly Endpoint[];
  readonly rack: string | null;
  readonly processRoles: readonly string[];
  readonly client: ControllerClient;
  /** The offset of the last metadata batch applied on this node. */
  readonly metadataOffset: () => number;
  /** Kafka's setReadyToUnfence: the broker acts on current metadata (until then it stays fenced). */
  readonly readyToUnfence: () => boolean;
  readonly heartbeatIntervalMs: number;
  /** A new id for each process (randomUUID()): the controller tells a restart from a retry by it. */
  readonly incarnationId: string;
  readonly timers: Timers;
  readonly logger: Logger;
}

export class BrokerLifecycle {
  readonly incarnationId: string;
  private readonly options: BrokerLifecycleOptions;
  private stateValue: BrokerState = 'registering';
  private brokerEpoch: number | null = null;
  private loop: Promise<void> | null = null;
  private stopping = false;
  /** The controller refused registration while the previous session of this broker lives (logged once). */
  private waitingForOldSession = false;
  private wake: AbortController = new AbortController();

  constructor(options: BrokerLifecycleOptions) {
    this.options = options;
    this.incarnationId = options.incarnationId;
  }

  get state(): BrokerState {
    return this.stateValue;
  }

  /** The epoch of the current registration; null before registering (or after it went stale). */
  get epoch(): number | null {
    return this.brokerEpoch;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /**
   * Asks the controller to move this broker's leaderships away, heartbeating until it says the broker may
   * stop (or `timeoutMs` passes, or the metadata quorum is lost: then the session expiry fences it).
   */
  async controlledShutdown(timeoutMs: number, quorumLost: () => boolean = () => false): Promise<boolean> {
    this.stopping = true;
    this.wake.abort();
    await this.loop;
    if (this.brokerEpoch === null) return true;
    this.stateValue = 'shuttingDown';
    const { timers } = this.options;
    const deadline = timers.nowMs() + timeoutMs;
    while (timers.nowMs() < deadline) {
      if (quorumLost()) {
        // The whole cluster is going down (or this node is cut off): no controller can answer.
        this.options.logger.warn(
          { broker: this.options.brokerId },
          'controlled shutdown skipped: no metadata quorum',
        );
        this.stateValue = 'stopped';
        return false;
      }
      try {
        const response = await this.heartbeat(true, Math.min(1000, deadline - timers.nowMs()));
        if (response.shouldShutDown) {
          this.options.logger.info({ broker: this.options.brokerId }, 'controlled shutdown complete');
          this.stateValue = 'stopped';
          return true;
        }
      } catch (error) {
        this.options.logger.warn({ err: error }, 'controlled shutdown heartbeat failed');
      }
      await sleep(
        timers,
        Math.min(200, Math.max(0, deadline - timers.nowMs())),
        new AbortController().signal,
      );
    }
    this.options.logger.warn({ broker: this.options.brokerId, timeoutMs }, 'controlled shutdown timed out');
    this.stateValue = 'stopped';
    return false;
  }

  /** Stops heartbeating without a controlled shutdown. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake.abort();
    await this.loop;
    this.stateValue = 'stopped';
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      try {
        if (this.brokerEpoch === null) await this.register();
        else await this.regularHeartbeat();
      } catch (error) {
        if (isKafkaError(error, 'STALE_BROKER_EPOCH')) {
          this.options.logger.warn(
            { broker: this.options.brokerId },
            'broker epoch is stale, registering again',
          );
          this.brokerEpoch = null;
          this.stateValue = 'registering';
          continue;
        }
        if (isKafkaError(error, 'DUPLICATE_BROKER_REGISTRATION')) {
          // A quick restart: the controller still holds this broker's previous session. Expected, and
          // over within broker.session.timeout.ms: said once, not at every heartbeat interval.
          if (!this.waitingForOldSession)
            this.options.logger.info(
              { broker: this.options.brokerId },
              "this broker's previous session has not expired yet; registering once it has",
            );
          this.waitingForOldSession = true;
        } else
          this.options.logger.warn(
            { err: error, broker: this.options.brokerId },
            'broker lifecycle request failed',
          );
      }
      await this.pause(this.options.heartbeatIntervalMs);
    }
  }

  private async register(): Promise<void> {
    const { brokerEpoch } = await this.options.client.call('register-broker', {
      clusterId: this.options.clusterId,
      brokerId: this.options.brokerId,
      incarnationId: this.incarnationId,
      endpoints: [...this.options.endpoints],
      ...(this.options.rack !== null ? { rack: this.options.rack } : {}),
      processRoles: [...this.options.processRoles],
    });
    this.brokerEpoch = brokerEpoch;
    this.waitingForOldSession = false;
    this.stateValue = 'fenced';
    this.options.logger.info({ broker: this.options.brokerId, brokerEpoch }, 'broker registered');
  }

  private async regularHeartbeat(): Promise<void> {
    const response = await this.heartbeat(false, this.options.heartbeatIntervalMs * 2);
    const next: BrokerState = response.isFenced ? 'fenced' : 'running';
    if (next !== this.stateValue) {
      this.options.logger.info({ broker: this.options.brokerId, state: next }, 'broker state changed');
      this.stateValue = next;
    }
  }

  private heartbeat(wantShutDown: boolean, timeoutMs: number) {
    return this.options.client.call(
      'broker-heartbeat',
      {
        brokerId: this.options.brokerId,
        brokerEpoch: this.brokerEpoch ?? 0,
        currentMetadataOffset: this.options.metadataOffset(),
        wantFence: !this.options.readyToUnfence(),
        wantShutDown,
      },
      Math.max(1, timeoutMs),
    );
  }

  /** Waits `ms`, or less when woken up to stop. */
  private pause(ms: number): Promise<void> {
    return sleep(this.options.timers, ms, this.wake.signal);
  }
}
