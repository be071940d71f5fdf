// Broker leases, kept in memory on the active controller only (as Kafka's BrokerHeartbeatManager):
// heartbeats are not written to the log. A newly active controller grants every registered broker a
// fresh session, so that a controller failover never fences healthy brokers.
import type { BrokerId } from '../ids.ts';

export class BrokerSessions {
  private readonly lastContactMs = new Map<BrokerId, number>();
  private readonly sessionTimeoutMs: number;

  constructor(sessionTimeoutMs: number) {
    this.sessionTimeoutMs = sessionTimeoutMs;
  }

  touch(broker: BrokerId, nowMs: number): void {
    this.lastContactMs.set(broker, nowMs);
  }

  /** Grants every broker a full session from now (controller activation). */
  resetAll(brokers: Iterable<BrokerId>, nowMs: number): void {
    this.lastContactMs.clear();
    for (const broker of brokers) this.lastContactMs.set(broker, nowMs);
  }

  isAlive(broker: BrokerId, nowMs: number): boolean {
    const last = this.lastContactMs.get(broker);
    return last !== undefined && nowMs - last <= this.sessionTimeoutMs;
  }

  forget(broker: BrokerId): void {
    this.lastContactMs.delete(broker);
  }
}
