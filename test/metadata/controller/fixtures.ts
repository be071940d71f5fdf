// Test doubles of the QuorumController's surroundings: an in-memory MetadataLog (each appended batch is
// applied with applyBatch at the next offset), a manual clock and uuid source, and helpers that drive a
// controller through the usual broker life cycle.
import { expect } from 'vitest';
import { nodeId, type Term, term } from '../../../raft/types.ts';
import { isKafkaError, KafkaError, type KafkaErrorName } from '../../../src/common/kafka-errors.ts';
import type { BrokerHeartbeatResponse } from '../../../src/metadata/controller/broker-decisions.ts';
import {
  type ControllerConfig,
  type ControllerEnvironment,
  type MetadataLog,
  QuorumController,
} from '../../../src/metadata/controller/quorum-controller.ts';
import type { BrokerEpoch, BrokerId, MetadataOffset, PartitionId } from '../../../src/metadata/ids.ts';
import { brokerId, metadataOffset, partitionId } from '../../../src/metadata/ids.ts';
import {
  emptyImage,
  type MetadataImage,
  type PartitionRegistration,
  type TopicImage,
} from '../../../src/metadata/image.ts';
import { topicByName } from '../../../src/metadata/queries.ts';
import type { MetadataRecord } from '../../../src/metadata/records.ts';
import { applyBatch } from '../../../src/metadata/reducer.ts';

/** Lets every pending promise continuation run (no timers): enough rounds for the controller's chains. */
export async function flush(rounds = 100): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

export interface AppliedBatch {
  readonly offset: MetadataOffset;
  readonly records: readonly MetadataRecord[];
}

interface HeldAppend {
  readonly records: readonly MetadataRecord[];
  readonly resolve: (offset: MetadataOffset) => void;
}

/**
 * The metadata log of one controller, in memory. By default a batch is applied as soon as it is appended
 * and the promise resolves with its offset. `hold = true` keeps appends pending until `commitHeld()` (to
 * observe what happens before a batch commits); `rejecting = true` makes appends fail with NOT_CONTROLLER
 * (this node lost the leadership) without writing anything.
 */
export class MemoryMetadataLog implements MetadataLog {
  private current: MetadataImage = emptyImage();
  readonly batches: AppliedBatch[] = [];
  rejecting = false;
  hold = false;
  private readonly held: HeldAppend[] = [];
  /** Every append call, in order, including rejected and held ones. */
  readonly appendCalls: (readonly MetadataRecord[])[] = [];

  append(records: readonly MetadataRecord[]): Promise<MetadataOffset> {
    this.appendCalls.push(records);
    if (this.rejecting) {
      return Promise.reject(new KafkaError('NOT_CONTROLLER', 'This node lost the leadership.'));
    }
    if (this.hold) {
      return new Promise((resolve) => this.held.push({ records, resolve }));
    }
    return Promise.resolve(this.apply(records));
  }

  image(): MetadataImage {
    return this.current;
  }

  /** Writes a batch directly (as another controller would have), bypassing the controller under test. */
  write(records: readonly MetadataRecord[]): MetadataOffset {
    return this.apply(records);
  }

  heldCount(): number {
    return this.held.length;
  }

  /** Commits and applies every held append, in order, resolving their promises. */
  commitHeld(): void {
    for (const append of this.held.splice(0)) append.resolve(this.apply(append.records));
  }

  /** The batch committed at `offset`. */
  batchAt(offset: number): AppliedBatch | undefined {
    return this.batches.find((batch) => batch.offset === offset);
  }

  private apply(records: readonly MetadataRecord[]): MetadataOffset {
    const offset = metadataOffset(this.current.offset + 1);
    this.current = applyBatch(this.current, records, offset);
    this.batches.push({ offset, records });
    return offset;
  }
}

/** A manual clock and a deterministic uuid source. */
export class ManualEnvironment implements ControllerEnvironment {
  private now: number;
  private uuids = 0;

  constructor(startMs = 1_000_000) {
    this.now = startMs;
  }

  nowMs(): number {
    return this.now;
  }

  advance(ms: number): void {
    this.now += ms;
  }

  newUuid(): string {
    return uuidFromCounter(++this.uuids, 'a');
  }
}

/** A valid, non-nil lower-case UUID made from a counter; `prefix` (one hex digit) separates sources. */
export function uuidFromCounter(n: number, prefix = 'b'): string {
  const hex = n.toString(16).padStart(11, '0');
  return `${prefix}0000000-0000-4000-8000-0${hex}`;
}

export const SESSION_TIMEOUT_MS = 1000;

export function controllerConfig(overrides: Partial<ControllerConfig> = {}): ControllerConfig {
  return {
    nodeId: nodeId(1),
    sessionTimeoutMs: SESSION_TIMEOUT_MS,
    defaultPartitions: 1,
    defaultReplicationFactor: 1,
    uncleanLeaderElectionEnable: false,
    ...overrides,
  };
}

export interface Fixture {
  readonly controller: QuorumController;
  readonly log: MemoryMetadataLog;
  readonly env: ManualEnvironment;
}

export function newFixture(
  overrides: Partial<ControllerConfig> = {},
  log = new MemoryMetadataLog(),
): Fixture {
  const env = new ManualEnvironment();
  const controller = new QuorumController({ config: controllerConfig(overrides), environment: env, log });
  return { controller, log, env };
}

/** A fixture whose controller is active in epoch `epoch`. */
export async function activeFixture(
  overrides: Partial<ControllerConfig> = {},
  epoch: Term = term(1),
): Promise<Fixture> {
  const fixture = newFixture(overrides);
  fixture.controller.becomeLeader(epoch);
  await flush();
  expect(fixture.controller.isActive()).toBe(true);
  return fixture;
}

/** The KafkaError name `promise` rejects with (fails the test if it resolves or throws something else). */
export async function errorOf(promise: Promise<unknown>): Promise<KafkaErrorName> {
  try {
    await promise;
  } catch (error) {
    if (isKafkaError(error)) return error.errorName;
    throw error;
  }
  throw new Error('expected a KafkaError, but the request succeeded');
}

/** The KafkaError `promise` rejects with. */
export async function kafkaErrorOf(promise: Promise<unknown>): Promise<KafkaError> {
  try {
    await promise;
  } catch (error) {
    if (isKafkaError(error)) return error;
    throw error;
  }
  throw new Error('expected a KafkaError, but the request succeeded');
}

export function registerRequest(id: number, incarnation = 1, rack: string | null = null) {
  return {
    brokerId: brokerId(id),
    incarnationId: uuidFromCounter(id * 1000 + incarnation),
    endpoints: [{ name: 'INTERNAL', host: '127.0.0.1', port: 9000 + id, securityProtocol: 'PLAINTEXT' }],
    rack,
    processRoles: ['broker'],
  };
}

export async function register(
  fixture: Fixture,
  id: number,
  incarnation = 1,
  rack: string | null = null,
): Promise<BrokerEpoch> {
  const { brokerEpoch } = await fixture.controller.registerBroker(registerRequest(id, incarnation, rack));
  return brokerEpoch;
}

export function heartbeat(
  fixture: Fixture,
  id: number,
  epoch: BrokerEpoch,
  options: { offset?: number; wantFence?: boolean; wantShutDown?: boolean } = {},
): Promise<BrokerHeartbeatResponse> {
  return fixture.controller.brokerHeartbeat({
    brokerId: brokerId(id),
    brokerEpoch: epoch,
    currentMetadataOffset: options.offset ?? fixture.log.image().offset,
    wantFence: options.wantFence ?? false,
    wantShutDown: options.wantShutDown ?? false,
  });
}

/** Registers brokers and unfences them (heartbeat once caught up); returns their epochs by id. */
export async function registerUnfenced(
  fixture: Fixture,
  ids: readonly number[],
  racks: readonly (string | null)[] = [],
): Promise<Map<number, BrokerEpoch>> {
  const epochs = new Map<number, BrokerEpoch>();
  for (const [i, id] of ids.entries()) epochs.set(id, await register(fixture, id, 1, racks[i] ?? null));
  for (const id of ids) {
    const response = await heartbeat(fixture, id, epochs.get(id)!);
    expect(response.isFenced).toBe(false);
  }
  return epochs;
}

/** Heartbeats every broker in `epochs` (all caught up). */
export async function heartbeatAll(
  fixture: Fixture,
  epochs: ReadonlyMap<number, BrokerEpoch>,
): Promise<void> {
  for (const [id, epoch] of epochs) await heartbeat(fixture, id, epoch);
}

export async function createTopic(
  fixture: Fixture,
  name: string,
  partitionsCount?: number,
  replicationFactor?: number,
  configs: Record<string, string> = {},
): Promise<TopicImage> {
  await fixture.controller.createTopic({
    name,
    partitionsCount,
    replicationFactor,
    configs: new Map(Object.entries(configs)),
    validateOnly: false,
  });
  return requireTopic(fixture.log.image(), name);
}

export function requireTopic(image: MetadataImage, name: string): TopicImage {
  const topic = topicByName(image, name);
  if (topic === undefined) throw new Error(`no topic ${name}`);
  return topic;
}

export function partitionOf(image: MetadataImage, name: string, p: number): PartitionRegistration {
  const partition = requireTopic(image, name).partitions.get(partitionId(p));
  if (partition === undefined) throw new Error(`no partition ${name}-${p}`);
  return partition;
}

export function partitionsOf(image: MetadataImage, name: string): [PartitionId, PartitionRegistration][] {
  return [...requireTopic(image, name).partitions];
}

/** Every ISR (over all topics) that holds `broker`. */
export function isrsHolding(image: MetadataImage, broker: BrokerId): PartitionRegistration[] {
  return [...image.topics.values()].flatMap((topic) =>
    [...topic.partitions.values()].filter((p) => p.isr.includes(broker)),
  );
}
