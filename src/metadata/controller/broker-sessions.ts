// Broker leases, kept in memory on the active controller only (as Kafka's BrokerHeartbeatManager):
// heartbeats are not written to the log. A newly active controller grants every registered broker a
// fresh session, so that a controller failover never fences healthy brokers.
//
// A lease also ends early when the connection a broker heartbeats on closes (ours, not Kafka's): kill -9
// or a crash of the broker's process makes its kernel close its sockets at once, so the controller need
// not wait out a whole session to fence it. A live broker whose connection merely dropped heartbeats again
// on a new one within the grace, which cancels the early end. A broker cut off by the network closes
// nothing and keeps the whole session, as before.
import type { BrokerId } from '../ids.ts';

interface ConnectionLoss {
  /** When the loss was seen: a heartbeat received at or before it may have come on the lost connection. */
  readonly lostAtMs: number;
  readonly deadlineMs: number;
}

export class BrokerSessions {
  private readonly lastContactMs = new Map<BrokerId, number>();
  private readonly losses = new Map<BrokerId, ConnectionLoss>();
  private readonly sessionTimeoutMs: number;

  constructor(sessionTimeoutMs: number) {
    this.sessionTimeoutMs = sessionTimeoutMs;
  }

  /**
   * A heartbeat (or registration) received at `receivedAtMs` and handled at `nowMs`: the session runs
   * from now. It cancels an early end only if it was received after the loss, so on a new connection
   * (one received earlier, on the lost connection, and handled late proves nothing).
   */
  touch(broker: BrokerId, nowMs: number, receivedAtMs: number = nowMs): void {
    this.lastContactMs.set(broker, nowMs);
    const loss = this.losses.get(broker);
    if (loss !== undefined && receivedAtMs > loss.lostAtMs) this.losses.delete(broker);
  }

  /** A connection of `broker` closed at `lostAtMs`: its session ends `graceMs` later at most. */
  connectionLost(broker: BrokerId, lostAtMs: number, graceMs: number): void {
    if (!this.lastContactMs.has(broker)) return;
    const deadlineMs = Math.min(
      lostAtMs + graceMs,
      this.losses.get(broker)?.deadlineMs ?? Number.POSITIVE_INFINITY,
    );
    this.losses.set(broker, { lostAtMs, deadlineMs });
  }

  /** Grants every broker a full session from now (controller activation). */
  resetAll(brokers: Iterable<BrokerId>, nowMs: number): void {
    this.lastContactMs.clear();
    this.losses.clear();
    for (const broker of brokers) this.lastContactMs.set(broker, nowMs);
  }

  isAlive(broker: BrokerId, nowMs: number): boolean {
    const last = this.lastContactMs.get(broker);
    if (last === undefined || nowMs - last > this.sessionTimeoutMs) return false;
    const loss = this.losses.get(broker);
    return loss === undefined || nowMs <= loss.deadlineMs;
  }

  forget(broker: BrokerId): void {
    this.lastContactMs.delete(broker);
    this.losses.delete(broker);
  }
}
