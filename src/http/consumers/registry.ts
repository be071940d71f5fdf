// The REST v2 consumer instances of this node, by group and instance id. An instance idle for longer than
// consumer.instance.timeout.ms is closed (auto commit, leave the group) by a sweep timer and, at the
// latest, when a request names it. The same timer sends the members' heartbeats between records calls
// (Java's heartbeat thread, heartbeat.interval.ms). The timer never keeps the process alive (unref) and
// stops on close().

import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { HttpError } from '../errors.ts';
import type { ClusterNode } from '../ports.ts';
import type { ConsumerConfig } from './instance.ts';
import { ConsumerInstance } from './instance.ts';
import { generatedInstanceId } from './instance-id.ts';

/** Confluent's consumer.instance.timeout.ms default. */
export const CONSUMER_INSTANCE_TIMEOUT_DEFAULT_MS = 300_000;
/** Kafka's session.timeout.ms default (3.0+). */
export const CONSUMER_SESSION_TIMEOUT_MS = 45_000;
/** Kafka's heartbeat.interval.ms default. */
export const CONSUMER_HEARTBEAT_INTERVAL_MS = 3000;

export interface RegistryOptions {
  readonly node: ClusterNode;
  readonly now: () => number;
  readonly instanceTimeoutMs: number;
  readonly logger: FastifyBaseLogger;
}

export class ConsumerRegistry {
  readonly #options: RegistryOptions;
  /** `${group}\u0000${id}` -> instance. */
  readonly #instances = new Map<string, ConsumerInstance>();
  /**
   * Who created each instance (`User:alice`; ANONYMOUS without authentication), by the instances' key:
   * only its creator may use it, so that knowing (or guessing) an instance's id gives nobody else its
   * records or its offsets. Kept beside the instance, which knows nothing of principals.
   */
  readonly #owners = new Map<string, string>();
  #timer: ReturnType<typeof setInterval> | null = null;
  #closed = false;

  constructor(options: RegistryOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#instances.size;
  }

  create(
    groupId: string,
    name: string | null,
    config: ConsumerConfig,
    host: string,
    owner: string,
  ): ConsumerInstance {
    // A generated id names this node: any node forwards the instance's requests here (forwarding.ts).
    const id = name ?? generatedInstanceId(this.#options.node.nodeId, randomUUID());
    const key = `${groupId}\u0000${id}`;
    const existing = this.#instances.get(key);
    if (existing !== undefined && !this.#expired(existing)) throw new HttpError('CONSUMER_ALREADY_EXISTS');
    if (existing !== undefined) this.#expire(key, existing);
    const instance = new ConsumerInstance(
      { node: this.#options.node, sessionTimeoutMs: CONSUMER_SESSION_TIMEOUT_MS, now: this.#options.now },
      groupId,
      id,
      config,
      host,
    );
    this.#instances.set(key, instance);
    this.#owners.set(key, owner);
    this.#startTimer();
    return instance;
  }

  /** Whether this node has the instance (expired or not: a request naming an expired one gets 40403 here). */
  holds(groupId: string, id: string): boolean {
    return this.#instances.has(`${groupId}\u0000${id}`);
  }

  /**
   * The instance, touched (its idle time starts again); 404 / 40403 when there is none, or when `owner`
   * is given and did not create it (the same answer: no one learns of another's instance).
   */
  get(groupId: string, id: string, owner?: string): ConsumerInstance {
    const key = `${groupId}\u0000${id}`;
    const instance = this.#instances.get(key);
    if (instance === undefined) throw new HttpError('CONSUMER_INSTANCE_NOT_FOUND');
    if (owner !== undefined && this.#owners.get(key) !== owner)
      throw new HttpError('CONSUMER_INSTANCE_NOT_FOUND');
    if (this.#expired(instance)) {
      this.#expire(key, instance);
      throw new HttpError('CONSUMER_INSTANCE_NOT_FOUND');
    }
    instance.lastUsed = this.#options.now();
    return instance;
  }

  /** DELETE: removed at once (a second DELETE is a 404), then closed (auto commit, leave). */
  async delete(groupId: string, id: string, owner: string): Promise<void> {
    const instance = this.get(groupId, id, owner);
    this.#instances.delete(`${groupId}\u0000${id}`);
    this.#owners.delete(`${groupId}\u0000${id}`);
    await instance.exclusive(() => instance.close());
  }

  #expired(instance: ConsumerInstance): boolean {
    return !instance.busy && this.#options.now() - instance.lastUsed > this.#options.instanceTimeoutMs;
  }

  #expire(key: string, instance: ConsumerInstance): void {
    this.#instances.delete(key);
    this.#owners.delete(key);
    this.#closeQuietly(instance, 'consumer instance expired');
  }

  #closeQuietly(instance: ConsumerInstance, why: string): void {
    instance
      .exclusive(() => instance.close())
      .catch((error: unknown) => {
        this.#options.logger.warn(
          { err: error, group: instance.groupId, instance: instance.id },
          `${why}: closing it failed`,
        );
      });
  }

  /** Expires idle instances and sends the heartbeats that are due. */
  sweep(): void {
    const now = this.#options.now();
    for (const [key, instance] of this.#instances) {
      if (this.#expired(instance)) {
        this.#expire(key, instance);
      } else if (
        instance.hasMember &&
        !instance.busy &&
        now - instance.lastHeartbeat >= CONSUMER_HEARTBEAT_INTERVAL_MS
      ) {
        instance.lastHeartbeat = now;
        instance
          .exclusive(() => instance.heartbeat())
          .catch((error: unknown) => {
            this.#options.logger.debug({ err: error, instance: instance.id }, 'background heartbeat failed');
          });
      }
    }
  }

  #startTimer(): void {
    if (this.#timer !== null || this.#closed) return;
    const interval = Math.max(1, Math.min(CONSUMER_HEARTBEAT_INTERVAL_MS, this.#options.instanceTimeoutMs));
    this.#timer = setInterval(() => this.sweep(), interval);
    this.#timer.unref();
  }

  /** App close: stops the timer; every instance leaves its group (best effort, not awaited). */
  close(): void {
    this.#closed = true;
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    for (const instance of this.#instances.values()) this.#closeQuietly(instance, 'closing the app');
    this.#instances.clear();
  }
}
