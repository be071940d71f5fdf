// The QuorumController through its API, against an in-memory metadata log: Kafka's expected behaviour
// of activation, broker registration, heartbeats and sessions, controlled shutdown, topic admin and
// AlterPartition.
import { describe, expect, it } from 'vitest';
import { nodeId, term } from '../../../raft/types.ts';
import type { AlterPartitionRequest } from '../../../src/metadata/controller/broker-decisions.ts';
import { QuorumController } from '../../../src/metadata/controller/quorum-controller.ts';
import type { BrokerEpoch, TopicId } from '../../../src/metadata/ids.ts';
import { brokerId, leaderEpoch, NO_LEADER, partitionEpoch, partitionId } from '../../../src/metadata/ids.ts';
import type { PartitionRegistration } from '../../../src/metadata/image.ts';
import { partitionsLedBy, topicByName } from '../../../src/metadata/queries.ts';
import {
  activeFixture,
  controllerConfig,
  createTopic,
  errorOf,
  type Fixture,
  flush,
  heartbeat,
  isrsHolding,
  kafkaErrorOf,
  newFixture,
  partitionOf,
  partitionsOf,
  register,
  registerRequest,
  registerUnfenced,
  requireTopic,
  SESSION_TIMEOUT_MS,
} from './fixtures.ts';

const B1 = brokerId(1);
const B2 = brokerId(2);
const B3 = brokerId(3);

function createCommand(
  name: string,
  partitionsCount?: number,
  replicationFactor?: number,
  validateOnly = false,
) {
  return { name, partitionsCount, replicationFactor, configs: new Map<string, string>(), validateOnly };
}

/** Tracks whether a promise has settled, without awaiting it. */
function track<T>(promise: Promise<T>): { settled: () => boolean } {
  let settled = false;
  promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  return { settled: () => settled };
}

/** Brokers 1-3 unfenced, topic `t` with 3 partitions of replication factor 3. */
async function threeBrokersOneTopic(
  overrides = {},
): Promise<{ fixture: Fixture; epochs: Map<number, BrokerEpoch> }> {
  const fixture = await activeFixture(overrides);
  const epochs = await registerUnfenced(fixture, [1, 2, 3]);
  await createTopic(fixture, 't', 3, 3);
  return { fixture, epochs };
}

/** Lets time pass beyond a session while the brokers in `alive` keep heartbeating; then ticks. */
async function expireSessions(
  fixture: Fixture,
  epochs: ReadonlyMap<number, BrokerEpoch>,
  alive: readonly number[],
) {
  fixture.env.advance(SESSION_TIMEOUT_MS + 1);
  for (const id of alive) await heartbeat(fixture, id, epochs.get(id)!);
  fixture.controller.tick();
  await flush();
}

function alterRequest(
  fixture: Fixture,
  epochs: ReadonlyMap<number, BrokerEpoch>,
  from: number,
  topic: string,
  p: number,
  newIsr: readonly number[],
  overrides: Partial<AlterPartitionRequest> = {},
): AlterPartitionRequest {
  const image = fixture.log.image();
  const partition = partitionOf(image, topic, p);
  return {
    brokerId: brokerId(from),
    brokerEpoch: epochs.get(from)!,
    topicId: requireTopic(image, topic).id,
    partitionId: partitionId(p),
    leaderEpoch: partition.leaderEpoch,
    partitionEpoch: partition.partitionEpoch,
    newIsr: newIsr.map(brokerId),
    ...overrides,
  };
}

describe('activation', () => {
  it('answers NOT_CONTROLLER before becomeLeader and writes nothing', async () => {
    const { controller, log } = newFixture();
    expect(controller.isActive()).toBe(false);
    expect(await errorOf(controller.registerBroker(registerRequest(1)))).toBe('NOT_CONTROLLER');
    expect(await errorOf(controller.createTopic(createCommand('t', 1, 1)))).toBe('NOT_CONTROLLER');
    expect(await errorOf(controller.deleteTopic('t'))).toBe('NOT_CONTROLLER');
    controller.tick();
    await flush();
    expect(log.appendCalls).toEqual([]);
  });

  it('becomes active only once its LeaderChange record has committed', async () => {
    const { controller, log } = newFixture({ nodeId: nodeId(7) });
    log.hold = true;
    controller.becomeLeader(term(5));
    await flush();
    expect(controller.isActive()).toBe(false);
    expect(log.appendCalls).toEqual([[{ type: 'leaderChange', leaderId: 7, epoch: 5 }]]);

    // A request during activation waits for it, and decides on the image that holds the LeaderChange.
    const registration = controller.registerBroker(registerRequest(1));
    const tracked = track(registration);
    await flush();
    expect(tracked.settled()).toBe(false);
    expect(log.heldCount()).toBe(1);

    log.commitHeld();
    await flush();
    expect(controller.isActive()).toBe(true);
    expect(log.image().controllerLeader).toEqual({ id: 7, epoch: 5 });
    expect(log.heldCount()).toBe(1); // the registration, appended after activation
    log.commitHeld();
    const { brokerEpoch } = await registration;
    expect(brokerEpoch).toBe(2);
  });

  it('answers NOT_CONTROLLER after resign()', async () => {
    const fixture = await activeFixture();
    const epoch = await register(fixture, 1);
    fixture.controller.resign();
    expect(fixture.controller.isActive()).toBe(false);
    const before = fixture.log.appendCalls.length;
    expect(await errorOf(fixture.controller.registerBroker(registerRequest(2)))).toBe('NOT_CONTROLLER');
    expect(await errorOf(heartbeat(fixture, 1, epoch))).toBe('NOT_CONTROLLER');
    expect(await errorOf(fixture.controller.createTopic(createCommand('t', 1, 1)))).toBe('NOT_CONTROLLER');
    fixture.env.advance(10 * SESSION_TIMEOUT_MS);
    fixture.controller.tick();
    await flush();
    expect(fixture.log.appendCalls.length).toBe(before);
  });

  it('stays inactive when its LeaderChange cannot commit (leadership lost at once)', async () => {
    const { controller, log } = newFixture();
    log.rejecting = true;
    controller.becomeLeader(term(1));
    await flush();
    expect(controller.isActive()).toBe(false);
    log.rejecting = false;
    expect(await errorOf(controller.registerBroker(registerRequest(1)))).toBe('NOT_CONTROLLER');
  });

  it('is active again in a later epoch after a resign', async () => {
    const fixture = await activeFixture();
    fixture.controller.resign();
    fixture.controller.becomeLeader(term(3));
    await flush();
    expect(fixture.controller.isActive()).toBe(true);
    expect(fixture.log.image().controllerLeader).toEqual({ id: 1, epoch: 3 });
    expect(await register(fixture, 1)).toBe(fixture.log.image().offset);
  });

  it('never takes a term again once it resigned from it: one LeaderChange per term', async () => {
    // A shutdown resigns while Raft still reports the leadership, and the status listener calls
    // becomeLeader again: a second LeaderChange for the same term was written (nemesis, seed 20261206).
    const fixture = await activeFixture();
    const epoch = fixture.log.image().controllerLeader?.epoch;
    expect(epoch).toBeDefined();
    const appendsBefore = fixture.log.appendCalls.length;
    fixture.controller.resign();
    fixture.controller.becomeLeader(term(Number(epoch)));
    fixture.controller.becomeLeader(term(Number(epoch) - 1));
    await flush();
    expect(fixture.controller.isActive()).toBe(false);
    expect(fixture.log.appendCalls.length).toBe(appendsBefore);
    expect(await errorOf(fixture.controller.registerBroker(registerRequest(1)))).toBe('NOT_CONTROLLER');
  });

  it('fails requests with NOT_CONTROLLER when its append is rejected (leadership lost)', async () => {
    const fixture = await activeFixture();
    fixture.log.rejecting = true;
    expect(await errorOf(fixture.controller.registerBroker(registerRequest(1)))).toBe('NOT_CONTROLLER');
    expect(fixture.log.image().brokers.size).toBe(0);
  });
});

describe('registerBroker', () => {
  it('registers a new broker fenced, with its record offset as epoch', async () => {
    const fixture = await activeFixture();
    const epoch = await register(fixture, 1, 1, 'rack-a');
    const last = fixture.log.batches.at(-1)!;
    expect(epoch).toBe(last.offset);
    expect(last.records.map((r) => r.type)).toEqual(['registerBroker']);
    const registration = fixture.log.image().brokers.get(B1)!;
    expect(registration).toMatchObject({ epoch, fenced: true, inControlledShutdown: false, rack: 'rack-a' });
    expect(registration.incarnationId).toBe(registerRequest(1).incarnationId);
  });

  it('answers a retried registration of the same incarnation with the same epoch, writing nothing', async () => {
    const fixture = await activeFixture();
    const epoch = await register(fixture, 1);
    const batches = fixture.log.batches.length;
    expect(await register(fixture, 1)).toBe(epoch);
    // Also once unfenced.
    await heartbeat(fixture, 1, epoch);
    const afterUnfence = fixture.log.batches.length;
    expect(afterUnfence).toBe(batches + 1);
    expect(await register(fixture, 1)).toBe(epoch);
    expect(fixture.log.batches.length).toBe(afterUnfence);
  });

  it('refuses a new incarnation while the old one is unfenced and its session alive', async () => {
    const fixture = await activeFixture();
    const epochs = await registerUnfenced(fixture, [1]);
    fixture.env.advance(SESSION_TIMEOUT_MS - 1);
    const error = await kafkaErrorOf(fixture.controller.registerBroker(registerRequest(1, 2)));
    expect(error.errorName).toBe('DUPLICATE_BROKER_REGISTRATION');
    expect(fixture.log.image().brokers.get(B1)!.epoch).toBe(epochs.get(1));
  });

  it('accepts a new incarnation once the old session expired, taking the old one out of ISRs and leaderships in the same batch', async () => {
    const { fixture, epochs } = await threeBrokersOneTopic();
    const before = fixture.log.image();
    const ledBefore = partitionsLedBy(before, B1);
    expect(ledBefore.length).toBeGreaterThan(0);

    fixture.env.advance(SESSION_TIMEOUT_MS + 1);
    await heartbeat(fixture, 2, epochs.get(2)!);
    await heartbeat(fixture, 3, epochs.get(3)!);
    const newEpoch = await register(fixture, 1, 2);

    const image = fixture.log.image();
    const batch = fixture.log.batchAt(newEpoch)!;
    expect(batch.records.at(-1)!.type).toBe('registerBroker');
    expect(batch.records[0]).toMatchObject({
      type: 'brokerRegistrationChange',
      brokerId: B1,
      brokerEpoch: epochs.get(1),
      fenced: true,
    });
    expect(batch.records.filter((r) => r.type === 'partitionChange').length).toBe(3);

    const registration = image.brokers.get(B1)!;
    expect(registration).toMatchObject({
      epoch: newEpoch,
      fenced: true,
      incarnationId: registerRequest(1, 2).incarnationId,
    });
    expect(isrsHolding(image, B1)).toEqual([]);
    expect(partitionsLedBy(image, B1)).toEqual([]);
    for (const led of ledBefore) {
      const now = image.topics.get(led.topicId)!.partitions.get(led.partitionId)!;
      expect(now.leader).toBe(led.partition.replicas.find((r) => r !== B1));
      expect(now.leaderEpoch).toBe(led.partition.leaderEpoch + 1);
    }
  });
});

describe('brokerHeartbeat', () => {
  it('answers STALE_BROKER_EPOCH to a wrong epoch or an unknown broker', async () => {
    const fixture = await activeFixture();
    const epoch = await register(fixture, 1);
    expect(await errorOf(heartbeat(fixture, 1, (epoch + 1) as BrokerEpoch))).toBe('STALE_BROKER_EPOCH');
    expect(await errorOf(heartbeat(fixture, 1, (epoch - 1) as BrokerEpoch))).toBe('STALE_BROKER_EPOCH');
    expect(await errorOf(heartbeat(fixture, 9, epoch))).toBe('STALE_BROKER_EPOCH');
  });

  it('unfences a broker that caught up with its own registration', async () => {
    const fixture = await activeFixture();
    const epoch = await register(fixture, 1);
    const response = await heartbeat(fixture, 1, epoch, { offset: epoch });
    expect(response).toEqual({ isCaughtUp: true, isFenced: false, shouldShutDown: false });
    expect(fixture.log.image().brokers.get(B1)!.fenced).toBe(false);
    // Further heartbeats write nothing.
    const batches = fixture.log.batches.length;
    expect(await heartbeat(fixture, 1, epoch)).toEqual({
      isCaughtUp: true,
      isFenced: false,
      shouldShutDown: false,
    });
    expect(fixture.log.batches.length).toBe(batches);
  });

  it('keeps a broker that has not caught up fenced', async () => {
    const fixture = await activeFixture();
    const epoch = await register(fixture, 1);
    const batches = fixture.log.batches.length;
    const response = await heartbeat(fixture, 1, epoch, { offset: epoch - 1 });
    expect(response).toEqual({ isCaughtUp: false, isFenced: true, shouldShutDown: false });
    expect(fixture.log.image().brokers.get(B1)!.fenced).toBe(true);
    expect(fixture.log.batches.length).toBe(batches);
  });

  it('re-elects, on unfence, the leaderless partitions whose ISR holds the broker', async () => {
    const fixture = await activeFixture();
    const epochs = await registerUnfenced(fixture, [1, 2, 3]);
    await createTopic(fixture, 't', 3, 2);
    // Brokers 1 and 2 go silent: partitions on {1, 2} end with the last of them alone in the ISR, leaderless.
    await expireSessions(fixture, epochs, [3]);
    const fencedImage = fixture.log.image();
    const leaderless = partitionsOf(fencedImage, 't').filter(([, p]) => p.leader === NO_LEADER);
    expect(leaderless.length).toBeGreaterThan(0);
    for (const [, p] of leaderless) expect(p.isr).toHaveLength(1);

    for (const id of [1, 2]) {
      const response = await heartbeat(fixture, id, epochs.get(id)!);
      expect(response.isFenced).toBe(false);
    }
    const image = fixture.log.image();
    for (const [id, before] of leaderless) {
      const after = image.topics.get(requireTopic(image, 't').id)!.partitions.get(id)!;
      expect(after.leader).toBe(before.isr[0]);
      expect(after.isr).toEqual(before.isr);
      expect(after.leaderEpoch).toBe(before.leaderEpoch + 1);
    }
    for (const [, p] of partitionsOf(image, 't')) expect(p.leader).not.toBe(NO_LEADER);
  });

  it('fences a broker that asks to be fenced', async () => {
    const { fixture, epochs } = await threeBrokersOneTopic();
    const response = await heartbeat(fixture, 2, epochs.get(2)!, { wantFence: true });
    expect(response.isFenced).toBe(true);
    expect(isrsHolding(fixture.log.image(), B2)).toEqual([]);
  });
});

describe('session expiry (tick)', () => {
  it('keeps a broker whose session has not expired yet', async () => {
    const { fixture } = await threeBrokersOneTopic();
    fixture.env.advance(SESSION_TIMEOUT_MS);
    const batches = fixture.log.batches.length;
    fixture.controller.tick();
    await flush();
    expect(fixture.log.batches.length).toBe(batches);
  });

  it('fences a silent broker, removes it from every ISR and elects new leaders in replica order', async () => {
    const { fixture, epochs } = await threeBrokersOneTopic();
    const before = fixture.log.image();
    const topicId = requireTopic(before, 't').id;
    await expireSessions(fixture, epochs, [2, 3]);
    const image = fixture.log.image();
    expect(image.brokers.get(B1)!.fenced).toBe(true);
    expect(image.brokers.get(B2)!.fenced).toBe(false);
    expect(image.brokers.get(B3)!.fenced).toBe(false);
    expect(isrsHolding(image, B1)).toEqual([]);
    for (const [id, old] of before.topics.get(topicId)!.partitions) {
      const now = image.topics.get(topicId)!.partitions.get(id)!;
      expect(now.isr).toEqual(old.isr.filter((r) => r !== B1));
      expect(now.partitionEpoch).toBe(old.partitionEpoch + 1);
      if (old.leader === B1) {
        expect(now.leader).toBe(old.replicas.find((r) => r !== B1));
        expect(now.leaderEpoch).toBe(old.leaderEpoch + 1);
      } else {
        expect(now.leader).toBe(old.leader);
        expect(now.leaderEpoch).toBe(old.leaderEpoch);
      }
    }
  });

  it('writes one fencing batch however often it ticks', async () => {
    const { fixture, epochs } = await threeBrokersOneTopic();
    fixture.env.advance(SESSION_TIMEOUT_MS + 1);
    await heartbeat(fixture, 2, epochs.get(2)!);
    await heartbeat(fixture, 3, epochs.get(3)!);
    const batches = fixture.log.batches.length;
    fixture.controller.tick();
    fixture.controller.tick();
    await flush();
    fixture.controller.tick();
    await flush();
    expect(fixture.log.batches.length).toBe(batches + 1);
  });

  it('leaves the last ISR member in the ISR, without a leader (no unclean election by default)', async () => {
    const fixture = await activeFixture();
    const epochs = await registerUnfenced(fixture, [1, 2, 3]);
    await createTopic(fixture, 'single', 3, 1);
    const before = partitionsOf(fixture.log.image(), 'single').find(([, p]) => p.leader === B1)!;
    await expireSessions(fixture, epochs, [2, 3]);
    const after = partitionOf(fixture.log.image(), 'single', before[0]);
    expect(after.isr).toEqual([B1]);
    expect(after.leader).toBe(NO_LEADER);
    expect(after.leaderEpoch).toBe(before[1].leaderEpoch + 1);
    expect(after.partitionEpoch).toBe(before[1].partitionEpoch + 1);
  });

  /** Topic `u` with one partition on brokers [1, 2] whose ISR was shrunk to its leader alone. */
  async function soleIsrMember(overrides = {}, configs: Record<string, string> = {}) {
    const fixture = await activeFixture(overrides);
    const epochs = await registerUnfenced(fixture, [1, 2, 3]);
    await createTopic(fixture, 'u', 1, 2, configs);
    const partition = partitionOf(fixture.log.image(), 'u', 0);
    const leader = partition.leader;
    const other = partition.replicas.find((r) => r !== leader)!;
    await fixture.controller.alterPartition(alterRequest(fixture, epochs, leader, 'u', 0, [leader]));
    const shrunk = partitionOf(fixture.log.image(), 'u', 0);
    expect(shrunk.isr).toEqual([leader]);
    return { fixture, epochs, leader, other, shrunk };
  }

  async function fenceOnly(fixture: Fixture, epochs: ReadonlyMap<number, BrokerEpoch>, broker: number) {
    await expireSessions(
      fixture,
      epochs,
      [...epochs.keys()].filter((id) => id !== broker),
    );
    expect(fixture.log.image().brokers.get(brokerId(broker))!.fenced).toBe(true);
  }

  it('does not elect an out-of-sync replica by default', async () => {
    const { fixture, epochs, leader, shrunk } = await soleIsrMember();
    await fenceOnly(fixture, epochs, leader);
    const after = partitionOf(fixture.log.image(), 'u', 0);
    expect(after.leader).toBe(NO_LEADER);
    expect(after.isr).toEqual([leader]);
    expect(after.leaderEpoch).toBe(shrunk.leaderEpoch + 1);
  });

  it('elects another replica, alone in the ISR, with unclean.leader.election.enable in the cluster config', async () => {
    const { fixture, epochs, leader, other, shrunk } = await soleIsrMember({
      uncleanLeaderElectionEnable: true,
    });
    await fenceOnly(fixture, epochs, leader);
    const after = partitionOf(fixture.log.image(), 'u', 0);
    expect(after.leader).toBe(other);
    expect(after.isr).toEqual([other]);
    expect(after.leaderEpoch).toBe(shrunk.leaderEpoch + 1);
    expect(after.partitionEpoch).toBe(shrunk.partitionEpoch + 1);
  });

  it('elects another replica with unclean.leader.election.enable=true in the topic config', async () => {
    const { fixture, epochs, leader, other } = await soleIsrMember(
      {},
      { 'unclean.leader.election.enable': 'true' },
    );
    await fenceOnly(fixture, epochs, leader);
    const after = partitionOf(fixture.log.image(), 'u', 0);
    expect(after.leader).toBe(other);
    expect(after.isr).toEqual([other]);
  });

  it('honours a topic config altered after creation, over the cluster default', async () => {
    const { fixture, epochs, leader, other } = await soleIsrMember();
    await fixture.controller.alterTopicConfigs(
      'u',
      [{ name: 'unclean.leader.election.enable', value: 'true' }],
      false,
    );
    await fenceOnly(fixture, epochs, leader);
    expect(partitionOf(fixture.log.image(), 'u', 0)).toMatchObject({ leader: other, isr: [other] });
  });

  it('lets a topic config of false override an enabled cluster config', async () => {
    const { fixture, epochs, leader } = await soleIsrMember(
      { uncleanLeaderElectionEnable: true },
      { 'unclean.leader.election.enable': 'false' },
    );
    await fenceOnly(fixture, epochs, leader);
    expect(partitionOf(fixture.log.image(), 'u', 0)).toMatchObject({ leader: NO_LEADER, isr: [leader] });
  });

  it('grants fresh sessions on controller failover: no broker is fenced because of it', async () => {
    const { fixture, epochs } = await threeBrokersOneTopic();
    fixture.controller.resign();
    // A long election: the brokers could not heartbeat to anyone meanwhile.
    fixture.env.advance(3 * SESSION_TIMEOUT_MS);
    // Another node's controller takes over, on the same committed log.
    const successor = new QuorumController({
      config: controllerConfig({ nodeId: nodeId(2) }),
      environment: fixture.env,
      log: fixture.log,
    });
    successor.becomeLeader(term(2));
    await flush();
    expect(successor.isActive()).toBe(true);
    const batches = fixture.log.batches.length;
    successor.tick();
    await flush();
    fixture.env.advance(SESSION_TIMEOUT_MS);
    successor.tick();
    await flush();
    expect(fixture.log.batches.length).toBe(batches);
    for (const id of [B1, B2, B3]) expect(fixture.log.image().brokers.get(id)!.fenced).toBe(false);

    // The same controller regaining leadership in a later epoch also grants fresh sessions.
    successor.resign();
    fixture.env.advance(3 * SESSION_TIMEOUT_MS);
    fixture.controller.becomeLeader(term(3));
    await flush();
    fixture.controller.tick();
    await flush();
    for (const id of [B1, B2, B3]) expect(fixture.log.image().brokers.get(id)!.fenced).toBe(false);

    // But a broker that stays silent after the failover is fenced a session later.
    fixture.env.advance(SESSION_TIMEOUT_MS + 1);
    await heartbeat(fixture, 2, epochs.get(2)!);
    await heartbeat(fixture, 3, epochs.get(3)!);
    fixture.controller.tick();
    await flush();
    expect(fixture.log.image().brokers.get(B1)!.fenced).toBe(true);
    expect(fixture.log.image().brokers.get(B2)!.fenced).toBe(false);
  });
});

describe('connection loss (connectionLost)', () => {
  const GRACE_MS = 200;

  it('fences a broker whose heartbeat connection closed once the grace has passed, long before its session', async () => {
    const { fixture } = await threeBrokersOneTopic({ connectionLossGraceMs: GRACE_MS });
    fixture.controller.connectionLost(B1);
    fixture.env.advance(GRACE_MS);
    fixture.controller.tick();
    await flush();
    expect(fixture.log.image().brokers.get(B1)!.fenced).toBe(false);
    fixture.env.advance(1);
    fixture.controller.tick();
    await flush();
    const image = fixture.log.image();
    expect(image.brokers.get(B1)!.fenced).toBe(true);
    expect(isrsHolding(image, B1)).toEqual([]);
    expect(image.brokers.get(B2)!.fenced).toBe(false);
    expect(GRACE_MS + 1).toBeLessThan(SESSION_TIMEOUT_MS);
  });

  it('keeps a broker that heartbeats again within the grace (its connection merely dropped)', async () => {
    const { fixture, epochs } = await threeBrokersOneTopic({ connectionLossGraceMs: GRACE_MS });
    fixture.controller.connectionLost(B1);
    fixture.env.advance(GRACE_MS / 2);
    await heartbeat(fixture, 1, epochs.get(1)!);
    fixture.env.advance(GRACE_MS);
    fixture.controller.tick();
    await flush();
    expect(fixture.log.image().brokers.get(B1)!.fenced).toBe(false);
  });

  it('is not cancelled by a heartbeat received before the loss and handled after it', async () => {
    const { fixture, epochs } = await threeBrokersOneTopic({ connectionLossGraceMs: GRACE_MS });
    const receivedAtMs = fixture.env.nowMs();
    fixture.env.advance(1);
    fixture.controller.connectionLost(B1);
    await fixture.controller.brokerHeartbeat(
      {
        brokerId: B1,
        brokerEpoch: epochs.get(1)!,
        currentMetadataOffset: fixture.log.image().offset,
        wantFence: false,
        wantShutDown: false,
      },
      receivedAtMs,
    );
    fixture.env.advance(GRACE_MS + 1);
    fixture.controller.tick();
    await flush();
    expect(fixture.log.image().brokers.get(B1)!.fenced).toBe(true);
  });

  it('never lengthens a session: the grace is at most the session timeout, and the session still ends on time', async () => {
    const { fixture, epochs } = await threeBrokersOneTopic({
      connectionLossGraceMs: 10 * SESSION_TIMEOUT_MS,
    });
    fixture.env.advance(SESSION_TIMEOUT_MS / 2);
    await heartbeat(fixture, 2, epochs.get(2)!);
    await heartbeat(fixture, 3, epochs.get(3)!);
    fixture.controller.connectionLost(B1);
    fixture.env.advance(SESSION_TIMEOUT_MS / 2 + 1);
    await heartbeat(fixture, 2, epochs.get(2)!);
    await heartbeat(fixture, 3, epochs.get(3)!);
    fixture.controller.tick();
    await flush();
    expect(fixture.log.image().brokers.get(B1)!.fenced).toBe(true);
  });

  it('heard while inactive (the metadata leader died), is fenced by the first tick of the activation, the grace having run since the loss', async () => {
    const { fixture, epochs } = await threeBrokersOneTopic({ connectionLossGraceMs: GRACE_MS });
    fixture.controller.resign();
    fixture.controller.connectionLost(B1);
    fixture.env.advance(GRACE_MS + 1);
    fixture.controller.becomeLeader(term(9));
    await flush();
    expect(fixture.controller.isActive()).toBe(true);
    await heartbeat(fixture, 2, epochs.get(2)!);
    fixture.controller.tick();
    await flush();
    const image = fixture.log.image();
    expect(image.brokers.get(B1)!.fenced).toBe(true);
    expect(image.brokers.get(B2)!.fenced).toBe(false);
    expect(image.brokers.get(B3)!.fenced).toBe(false);
  });

  it('heard while inactive just before the activation, leaves the rest of the grace for a heartbeat', async () => {
    const { fixture, epochs } = await threeBrokersOneTopic({ connectionLossGraceMs: GRACE_MS });
    fixture.controller.resign();
    fixture.controller.connectionLost(B1);
    fixture.env.advance(GRACE_MS / 2);
    fixture.controller.becomeLeader(term(9));
    await flush();
    fixture.controller.tick();
    await flush();
    expect(fixture.log.image().brokers.get(B1)!.fenced).toBe(false);
    await heartbeat(fixture, 1, epochs.get(1)!);
    fixture.env.advance(GRACE_MS);
    fixture.controller.tick();
    await flush();
    expect(fixture.log.image().brokers.get(B1)!.fenced).toBe(false);
  });

  it('heard while inactive a session ago or more, is forgotten: the activation grants a whole session', async () => {
    const { fixture } = await threeBrokersOneTopic({ connectionLossGraceMs: GRACE_MS });
    fixture.controller.resign();
    fixture.controller.connectionLost(B1);
    fixture.env.advance(SESSION_TIMEOUT_MS + 1);
    fixture.controller.becomeLeader(term(9));
    await flush();
    fixture.env.advance(GRACE_MS + 1);
    fixture.controller.tick();
    await flush();
    expect(fixture.log.image().brokers.get(B1)!.fenced).toBe(false);
  });
});

describe('controlled shutdown', () => {
  it('moves leaderships away, leaves the ISRs, then tells the broker to shut down and fences it', async () => {
    const { fixture, epochs } = await threeBrokersOneTopic();
    const before = fixture.log.image();
    const led = partitionsLedBy(before, B1);
    expect(led.length).toBe(1);

    const response = await heartbeat(fixture, 1, epochs.get(1)!, { wantShutDown: true });
    const image = fixture.log.image();
    expect(partitionsLedBy(image, B1)).toEqual([]);
    expect(isrsHolding(image, B1)).toEqual([]);
    for (const { topicId, partitionId: id, partition } of led) {
      const now = image.topics.get(topicId)!.partitions.get(id)!;
      expect(now.leader).toBe(partition.replicas.find((r) => r !== B1));
      expect(now.leaderEpoch).toBe(partition.leaderEpoch + 1);
    }
    expect(response.shouldShutDown).toBe(true);
    expect(response.isFenced).toBe(true);
    expect(image.brokers.get(B1)).toMatchObject({ fenced: true, inControlledShutdown: true });

    // The leaderships moved before the broker was fenced: the controlled-shutdown batch comes first.
    const changes = fixture.log.batches.slice(-2);
    expect(changes[0]!.records[0]).toMatchObject({
      type: 'brokerRegistrationChange',
      inControlledShutdown: true,
      fenced: null,
    });
    expect(changes[1]!.records[0]).toMatchObject({ type: 'brokerRegistrationChange', fenced: true });

    // Repeated shutdown heartbeats write nothing more and keep answering shouldShutDown.
    const batches = fixture.log.batches.length;
    expect(await heartbeat(fixture, 1, epochs.get(1)!, { wantShutDown: true })).toMatchObject({
      shouldShutDown: true,
      isFenced: true,
    });
    expect(fixture.log.batches.length).toBe(batches);
  });

  it('keeps a broker in controlled shutdown out of new placements and fenced on normal heartbeats', async () => {
    const { fixture, epochs } = await threeBrokersOneTopic();
    await heartbeat(fixture, 1, epochs.get(1)!, { wantShutDown: true });
    expect((await heartbeat(fixture, 1, epochs.get(1)!)).isFenced).toBe(true);
    expect(await errorOf(fixture.controller.createTopic(createCommand('after', 1, 3)))).toBe(
      'INVALID_REPLICATION_FACTOR',
    );
    // Its restart (a new incarnation) registers again and is unfenced once caught up.
    const epoch = await register(fixture, 1, 2);
    expect((await heartbeat(fixture, 1, epoch)).isFenced).toBe(false);
    expect(fixture.log.image().brokers.get(B1)!.inControlledShutdown).toBe(false);
  });
});

describe('createTopic', () => {
  async function twoBrokers(): Promise<Fixture> {
    const fixture = await activeFixture();
    await registerUnfenced(fixture, [1, 2]);
    return fixture;
  }

  it.each([
    ['an illegal character', 'bad name!'],
    ['a slash', 'a/b'],
    ['"."', '.'],
    ['".."', '..'],
    ['250 characters', 'a'.repeat(250)],
    ['an empty name', ''],
  ])('refuses a name with %s (INVALID_TOPIC_EXCEPTION)', async (_what, name) => {
    const fixture = await twoBrokers();
    const batches = fixture.log.batches.length;
    expect(await errorOf(fixture.controller.createTopic(createCommand(name, 1, 1)))).toBe(
      'INVALID_TOPIC_EXCEPTION',
    );
    expect(fixture.log.batches.length).toBe(batches);
  });

  it('accepts a name of 249 characters and every legal character', async () => {
    const fixture = await twoBrokers();
    await createTopic(fixture, 'a'.repeat(249), 1, 1);
    await createTopic(fixture, 'Az09._-', 1, 1);
  });

  it("refuses 'a_b' when 'a.b' exists (and the reverse)", async () => {
    const fixture = await twoBrokers();
    await createTopic(fixture, 'a.b', 1, 1);
    await createTopic(fixture, 'c_d', 1, 1);
    const error = await kafkaErrorOf(fixture.controller.createTopic(createCommand('a_b', 1, 1)));
    expect(error.errorName).toBe('INVALID_TOPIC_EXCEPTION');
    expect(error.message).toContain('a.b');
    expect(await errorOf(fixture.controller.createTopic(createCommand('c.d', 1, 1)))).toBe(
      'INVALID_TOPIC_EXCEPTION',
    );
  });

  it('refuses an existing name with TOPIC_ALREADY_EXISTS', async () => {
    const fixture = await twoBrokers();
    await createTopic(fixture, 'a.b', 1, 1);
    expect(await errorOf(fixture.controller.createTopic(createCommand('a.b', 2, 1)))).toBe(
      'TOPIC_ALREADY_EXISTS',
    );
  });

  it.each([0, -1, 1.5])('refuses %s partitions with INVALID_PARTITIONS', async (count) => {
    const fixture = await twoBrokers();
    expect(await errorOf(fixture.controller.createTopic(createCommand('t', count, 1)))).toBe(
      'INVALID_PARTITIONS',
    );
  });

  it('refuses a replication factor above the unfenced brokers, naming their count', async () => {
    const fixture = await twoBrokers();
    await register(fixture, 3); // registered, still fenced
    const error = await kafkaErrorOf(fixture.controller.createTopic(createCommand('t', 1, 3)));
    expect(error.errorName).toBe('INVALID_REPLICATION_FACTOR');
    expect(error.message).toMatch(/\b2 broker/);
    expect(await errorOf(fixture.controller.createTopic(createCommand('t', 1, 0)))).toBe(
      'INVALID_REPLICATION_FACTOR',
    );
  });

  it('refuses an unknown or invalid config with INVALID_CONFIG', async () => {
    const fixture = await twoBrokers();
    const unknown = { ...createCommand('t', 1, 1), configs: new Map([['no.such.config', '1']]) };
    expect(await errorOf(fixture.controller.createTopic(unknown))).toBe('INVALID_CONFIG');
    const invalid = { ...createCommand('t', 1, 1), configs: new Map([['retention.ms', 'soon']]) };
    expect(await errorOf(fixture.controller.createTopic(invalid))).toBe('INVALID_CONFIG');
    expect(topicByName(fixture.log.image(), 't')).toBeUndefined();
  });

  it('writes the configs with the topic, normalized', async () => {
    const fixture = await twoBrokers();
    await createTopic(fixture, 't', 1, 1, { 'retention.ms': ' 1000 ', 'cleanup.policy': 'compact , delete' });
    expect(fixture.log.image().configs.get('topic:t')).toEqual(
      new Map([
        ['retention.ms', '1000'],
        ['cleanup.policy', 'compact,delete'],
      ]),
    );
  });

  it('writes nothing for validateOnly, but still validates', async () => {
    const fixture = await twoBrokers();
    const batches = fixture.log.batches.length;
    const result = await fixture.controller.createTopic(createCommand('t', 3, 2, true));
    expect(result.offset).toBeNull();
    expect(fixture.log.batches.length).toBe(batches);
    expect(topicByName(fixture.log.image(), 't')).toBeUndefined();
    expect(await errorOf(fixture.controller.createTopic(createCommand('t', 3, 3, true)))).toBe(
      'INVALID_REPLICATION_FACTOR',
    );
  });

  it('answers with the offset and topic id it committed', async () => {
    const fixture = await twoBrokers();
    const result = await fixture.controller.createTopic(createCommand('t', 2, 2));
    const topic = requireTopic(fixture.log.image(), 't');
    expect(result.topicId).toBe(topic.id);
    expect(result.offset).toBe(fixture.log.image().offset);
    const records = fixture.log.batchAt(result.offset!)!.records;
    expect(records.map((r) => r.type)).toEqual(['topic', 'partition', 'partition']);
    for (const [, p] of topic.partitions) {
      expect(p.isr).toEqual(p.replicas);
      expect(p.leader).toBe(p.replicas[0]);
      expect(p).toMatchObject({ leaderEpoch: 0, partitionEpoch: 0 });
    }
  });

  it('places replicas on unfenced brokers only', async () => {
    const fixture = await activeFixture();
    await registerUnfenced(fixture, [1, 2, 3, 4]);
    await register(fixture, 5); // fenced
    const epoch4 = fixture.log.image().brokers.get(brokerId(4))!.epoch;
    await heartbeat(fixture, 4, epoch4, { wantFence: true });
    const topic = await createTopic(fixture, 't', 8, 3);
    for (const [, p] of topic.partitions) {
      expect(p.replicas).toHaveLength(3);
      expect(new Set(p.replicas).size).toBe(3);
      for (const r of p.replicas) expect([B1, B2, B3]).toContain(r);
    }
  });

  it('spreads leaders: 3 brokers, 6 partitions of RF 3, each broker leads 2', async () => {
    const fixture = await activeFixture();
    await registerUnfenced(fixture, [1, 2, 3]);
    const topic = await createTopic(fixture, 't', 6, 3);
    const leaders = new Map<number, number>();
    for (const [, p] of topic.partitions) leaders.set(p.leader, (leaders.get(p.leader) ?? 0) + 1);
    expect(leaders).toEqual(
      new Map([
        [1, 2],
        [2, 2],
        [3, 2],
      ]),
    );
  });

  it.each([
    ['one broker per rack', ['a', 'b', 'c'], 3, 6],
    ['two brokers per rack', ['a', 'a', 'b', 'b', 'c', 'c'], 3, 12],
    ['two racks of two', ['x', 'y', 'x', 'y'], 2, 8],
  ])(
    'places every partition on all racks when RF = number of racks (%s)',
    async (_what, racks, rf, partitions) => {
      const fixture = await activeFixture();
      const ids = racks.map((_, i) => i + 1);
      await registerUnfenced(fixture, ids, racks);
      const topic = await createTopic(fixture, 't', partitions, rf);
      const rackOf = (id: number) => fixture.log.image().brokers.get(brokerId(id))!.rack;
      const spans = [...topic.partitions].map(([id, p]) => ({
        id,
        replicas: p.replicas,
        racks: new Set(p.replicas.map(rackOf)).size,
      }));
      expect(spans.filter((s) => s.racks !== rf)).toEqual([]);
    },
  );

  it('uses the configured default partitions and replication factor', async () => {
    const fixture = await activeFixture({ defaultPartitions: 4, defaultReplicationFactor: 2 });
    await registerUnfenced(fixture, [1, 2, 3]);
    const topic = await createTopic(fixture, 'defaults');
    expect(topic.partitions.size).toBe(4);
    for (const [, p] of topic.partitions) expect(p.replicas).toHaveLength(2);
  });
});

describe('deleteTopic, createPartitions, alterTopicConfigs', () => {
  it('deletes a topic with its configs; an unknown one is UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const fixture = await activeFixture();
    await registerUnfenced(fixture, [1]);
    expect(await errorOf(fixture.controller.deleteTopic('nope'))).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    await createTopic(fixture, 't', 2, 1, { 'retention.ms': '1000' });
    const result = await fixture.controller.deleteTopic('t');
    expect(result.offset).toBe(fixture.log.image().offset);
    expect(topicByName(fixture.log.image(), 't')).toBeUndefined();
    expect(fixture.log.image().configs.has('topic:t')).toBe(false);
    expect(await errorOf(fixture.controller.deleteTopic('t'))).toBe('UNKNOWN_TOPIC_OR_PARTITION');
  });

  it('adds partitions with the same replication factor; fewer or the same count is INVALID_PARTITIONS', async () => {
    const fixture = await activeFixture();
    await registerUnfenced(fixture, [1, 2, 3]);
    await createTopic(fixture, 't', 2, 2);
    expect(await errorOf(fixture.controller.createPartitions('t', 1, false))).toBe('INVALID_PARTITIONS');
    expect(await errorOf(fixture.controller.createPartitions('t', 2, false))).toBe('INVALID_PARTITIONS');
    expect(await errorOf(fixture.controller.createPartitions('nope', 3, false))).toBe(
      'UNKNOWN_TOPIC_OR_PARTITION',
    );
    const dry = await fixture.controller.createPartitions('t', 5, true);
    expect(dry.offset).toBeNull();
    expect(requireTopic(fixture.log.image(), 't').partitions.size).toBe(2);
    await fixture.controller.createPartitions('t', 5, false);
    const topic = requireTopic(fixture.log.image(), 't');
    expect(topic.partitions.size).toBe(5);
    for (const [, p] of topic.partitions) expect(p.replicas).toHaveLength(2);
  });

  it("takes a manual replica assignment (Kafka's rules): replicas as given, ISR the eligible ones, leader the first of them", async () => {
    const fixture = await activeFixture();
    await registerUnfenced(fixture, [1, 2, 3]);
    await register(fixture, 4); // registered, still fenced
    const manual = (assignments: number[][]) => ({
      name: 'm',
      configs: new Map<string, string>(),
      validateOnly: false,
      assignments,
    });
    const refused = async (assignments: number[][], pattern: RegExp) => {
      const error = await kafkaErrorOf(fixture.controller.createTopic(manual(assignments)));
      expect(error.errorName).toBe('INVALID_REPLICA_ASSIGNMENT');
      expect(error.message).toMatch(pattern);
    };
    await refused([[1, 2], [3]], /must have 2/);
    await refused([[1, 1]], /more than once/);
    await refused([[1, 9]], /broker 9, but no such broker is registered/);
    await refused([[4]], /fenced or in controlled shutdown/);
    await refused([[]], /empty/);
    await fixture.controller.createTopic(
      manual([
        [4, 2],
        [3, 1],
      ]),
    );
    const topic = requireTopic(fixture.log.image(), 'm');
    const [first, second] = [topic.partitions.get(partitionId(0))!, topic.partitions.get(partitionId(1))!];
    expect([...first.replicas]).toEqual([4, 2]);
    expect([...first.isr]).toEqual([2]);
    expect(first.leader).toBe(2);
    expect([...second.replicas]).toEqual([3, 1]);
    expect(second.leader).toBe(3);
    // New partitions: as many assignments as partitions added, of the topic's replication factor.
    expect(await errorOf(fixture.controller.createPartitions('m', 4, false, [[1, 2]]))).toBe(
      'INVALID_REPLICA_ASSIGNMENT',
    );
    expect(await errorOf(fixture.controller.createPartitions('m', 3, false, [[1]]))).toBe(
      'INVALID_REPLICA_ASSIGNMENT',
    );
    await fixture.controller.createPartitions('m', 3, false, [[1, 3]]);
    expect([...requireTopic(fixture.log.image(), 'm').partitions.get(partitionId(2))!.replicas]).toEqual([
      1, 3,
    ]);
  });

  it('sets and deletes topic configs; an invalid value or unknown name is INVALID_CONFIG', async () => {
    const fixture = await activeFixture();
    await registerUnfenced(fixture, [1]);
    await createTopic(fixture, 't', 1, 1);
    await fixture.controller.alterTopicConfigs(
      't',
      [
        { name: 'retention.ms', value: '5000' },
        { name: 'cleanup.policy', value: 'compact' },
      ],
      false,
    );
    expect(fixture.log.image().configs.get('topic:t')).toEqual(
      new Map([
        ['retention.ms', '5000'],
        ['cleanup.policy', 'compact'],
      ]),
    );
    await fixture.controller.alterTopicConfigs('t', [{ name: 'retention.ms', value: null }], false);
    expect(fixture.log.image().configs.get('topic:t')).toEqual(new Map([['cleanup.policy', 'compact']]));

    const batches = fixture.log.batches.length;
    expect(
      await errorOf(
        fixture.controller.alterTopicConfigs('t', [{ name: 'retention.ms', value: 'abc' }], false),
      ),
    ).toBe('INVALID_CONFIG');
    expect(
      await errorOf(fixture.controller.alterTopicConfigs('t', [{ name: 'no.such', value: '1' }], false)),
    ).toBe('INVALID_CONFIG');
    expect(
      await errorOf(fixture.controller.alterTopicConfigs('t', [{ name: 'no.such', value: null }], false)),
    ).toBe('INVALID_CONFIG');
    // A batch is all or nothing: a valid alteration next to an invalid one is not written.
    expect(
      await errorOf(
        fixture.controller.alterTopicConfigs(
          't',
          [
            { name: 'retention.ms', value: '1' },
            { name: 'segment.ms', value: '0' },
          ],
          false,
        ),
      ),
    ).toBe('INVALID_CONFIG');
    expect(
      await errorOf(
        fixture.controller.alterTopicConfigs('nope', [{ name: 'retention.ms', value: '1' }], false),
      ),
    ).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    await fixture.controller.alterTopicConfigs('t', [{ name: 'retention.ms', value: '7' }], true);
    expect(fixture.log.batches.length).toBe(batches);
  });
});

describe('alterPartition', () => {
  async function setup() {
    const { fixture, epochs } = await threeBrokersOneTopic();
    const partition = partitionOf(fixture.log.image(), 't', 0);
    const leader = partition.leader;
    const followers = partition.replicas.filter((r) => r !== leader);
    return { fixture, epochs, partition, leader, followers };
  }

  it('accepts an ISR change from the leader with the current epochs', async () => {
    const { fixture, epochs, partition, leader, followers } = await setup();
    const result = await fixture.controller.alterPartition(
      alterRequest(fixture, epochs, leader, 't', 0, [leader, followers[0]!]),
    );
    const expected: PartitionRegistration = {
      replicas: partition.replicas,
      isr: [leader, followers[0]!],
      leader,
      leaderEpoch: partition.leaderEpoch,
      partitionEpoch: partitionEpoch(partition.partitionEpoch + 1),
    };
    expect(result).toEqual(expected);
    expect(partitionOf(fixture.log.image(), 't', 0)).toEqual(expected);
    // And expands again.
    const expanded = await fixture.controller.alterPartition(
      alterRequest(fixture, epochs, leader, 't', 0, [leader, ...followers]),
    );
    expect(expanded.isr).toEqual([leader, ...followers]);
    expect(expanded.partitionEpoch).toBe(partition.partitionEpoch + 2);
  });

  it('refuses a stale partition epoch with INVALID_UPDATE_VERSION', async () => {
    const { fixture, epochs, leader, followers } = await setup();
    await fixture.controller.alterPartition(
      alterRequest(fixture, epochs, leader, 't', 0, [leader, followers[0]!]),
    );
    const stale = alterRequest(fixture, epochs, leader, 't', 0, [leader], {
      partitionEpoch: partitionEpoch(partitionOf(fixture.log.image(), 't', 0).partitionEpoch - 1),
    });
    expect(await errorOf(fixture.controller.alterPartition(stale))).toBe('INVALID_UPDATE_VERSION');
  });

  it('refuses a stale leader epoch with FENCED_LEADER_EPOCH', async () => {
    const { fixture, epochs, leader } = await setup();
    const current = partitionOf(fixture.log.image(), 't', 0);
    const stale = alterRequest(fixture, epochs, leader, 't', 0, [leader], {
      leaderEpoch: leaderEpoch(current.leaderEpoch + 1),
    });
    expect(await errorOf(fixture.controller.alterPartition(stale))).toBe('FENCED_LEADER_EPOCH');
  });

  it('refuses a request from a former leader after a re-election with NOT_LEADER_OR_FOLLOWER', async () => {
    const { fixture, epochs, leader } = await setup();
    const old = alterRequest(fixture, epochs, leader, 't', 0, [leader]);
    await heartbeat(fixture, leader, epochs.get(leader)!, { wantShutDown: true });
    // The former leader's epoch still holds (it is only fenced), but it leads nothing.
    expect(await errorOf(fixture.controller.alterPartition(old))).toBe('NOT_LEADER_OR_FOLLOWER');
  });

  it('refuses a request from a non-leader with NOT_LEADER_OR_FOLLOWER', async () => {
    const { fixture, epochs, leader, followers } = await setup();
    const request = alterRequest(fixture, epochs, followers[0]!, 't', 0, [leader, followers[0]!]);
    expect(await errorOf(fixture.controller.alterPartition(request))).toBe('NOT_LEADER_OR_FOLLOWER');
  });

  it('refuses a stale broker epoch with STALE_BROKER_EPOCH and an unknown partition with UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const { fixture, epochs, leader } = await setup();
    const stale = alterRequest(fixture, epochs, leader, 't', 0, [leader], {
      brokerEpoch: (epochs.get(leader)! - 1) as BrokerEpoch,
    });
    expect(await errorOf(fixture.controller.alterPartition(stale))).toBe('STALE_BROKER_EPOCH');
    const unknown = alterRequest(fixture, epochs, leader, 't', 0, [leader], { partitionId: partitionId(7) });
    expect(await errorOf(fixture.controller.alterPartition(unknown))).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    const noTopic = alterRequest(fixture, epochs, leader, 't', 0, [leader], {
      topicId: '0fffffff-0000-4000-8000-000000000000' as TopicId,
    });
    expect(await errorOf(fixture.controller.alterPartition(noTopic))).toBe('UNKNOWN_TOPIC_OR_PARTITION');
  });

  it('refuses to add a fenced broker to the ISR with INVALID_REQUEST', async () => {
    const { fixture, epochs, leader, followers } = await setup();
    const [f1, f2] = [followers[0]!, followers[1]!];
    // f2 leaves the ISR (fenced), then the leader tries to add it back.
    await heartbeat(fixture, f2, epochs.get(f2)!, { wantFence: true });
    expect(partitionOf(fixture.log.image(), 't', 0).isr).toEqual([leader, f1]);
    const request = alterRequest(fixture, epochs, leader, 't', 0, [leader, f1, f2]);
    expect(await errorOf(fixture.controller.alterPartition(request))).toBe('INVALID_REQUEST');
    expect(partitionOf(fixture.log.image(), 't', 0).isr).toEqual([leader, f1]);
  });

  it('refuses an ISR without the leader, with duplicates or with non-replicas with INVALID_REQUEST', async () => {
    const { fixture, epochs, leader, followers } = await setup();
    for (const isr of [followers, [leader, leader], [leader, 9], []]) {
      const request = alterRequest(fixture, epochs, leader, 't', 0, isr);
      expect(await errorOf(fixture.controller.alterPartition(request))).toBe('INVALID_REQUEST');
    }
  });
});

describe('answers follow the application of their batch', () => {
  it('resolves each write only once its batch is applied, and the image then shows it', async () => {
    const fixture = await activeFixture();
    fixture.log.hold = true;
    const seen: string[] = [];

    const registration = fixture.controller.registerBroker(registerRequest(1)).then((result) => {
      seen.push(`register:${fixture.log.image().brokers.get(B1)?.epoch === result.brokerEpoch}`);
      return result;
    });
    const tracked = track(registration);
    await flush();
    expect(tracked.settled()).toBe(false);
    expect(fixture.log.image().brokers.has(B1)).toBe(false);
    fixture.log.commitHeld();
    const { brokerEpoch } = await registration;

    const unfence = heartbeat(fixture, 1, brokerEpoch).then((response) => {
      seen.push(`unfence:${response.isFenced === fixture.log.image().brokers.get(B1)!.fenced}`);
      return response;
    });
    const unfenceTracked = track(unfence);
    await flush();
    expect(unfenceTracked.settled()).toBe(false);
    expect(fixture.log.image().brokers.get(B1)!.fenced).toBe(true);
    fixture.log.commitHeld();
    expect((await unfence).isFenced).toBe(false);

    const creation = fixture.controller.createTopic(createCommand('t', 1, 1)).then((result) => {
      seen.push(`create:${topicByName(fixture.log.image(), 't')?.id === result.topicId}`);
      return result;
    });
    await flush();
    expect(topicByName(fixture.log.image(), 't')).toBeUndefined();
    fixture.log.commitHeld();
    await creation;

    const deletion = fixture.controller.deleteTopic('t').then((result) => {
      seen.push(
        `delete:${topicByName(fixture.log.image(), 't') === undefined && result.offset === fixture.log.image().offset}`,
      );
    });
    await flush();
    expect(topicByName(fixture.log.image(), 't')).toBeDefined();
    fixture.log.commitHeld();
    await deletion;

    expect(seen).toEqual(['register:true', 'unfence:true', 'create:true', 'delete:true']);
  });

  it('runs operations one at a time: each decides on the image with every earlier write', async () => {
    const fixture = await activeFixture();
    await registerUnfenced(fixture, [1]);
    fixture.log.hold = true;
    const first = fixture.controller.createTopic(createCommand('same', 1, 1));
    const second = fixture.controller.createTopic(createCommand('same', 1, 1));
    await flush();
    expect(fixture.log.heldCount()).toBe(1);
    fixture.log.commitHeld();
    await first;
    expect(await errorOf(second)).toBe('TOPIC_ALREADY_EXISTS');
  });
});

describe('preferred leader election (auto.leader.rebalance.enable)', () => {
  const INTERVAL_MS = 5_000;

  /** Broker 1 fenced and back: its preferred partitions are led by others, and it is in their ISRs again. */
  async function imbalanced(overrides = {}) {
    const { fixture, epochs } = await threeBrokersOneTopic({
      autoLeaderRebalanceEnable: true,
      leaderImbalanceCheckIntervalMs: INTERVAL_MS,
      ...overrides,
    });
    await expireSessions(fixture, epochs, [2, 3]);
    expect((await heartbeat(fixture, 1, epochs.get(1)!)).isFenced).toBe(false);
    for (const [p, partition] of partitionsOf(fixture.log.image(), 't')) {
      if (partition.isr.includes(B1)) continue;
      const leader = partition.leader;
      await fixture.controller.alterPartition(
        alterRequest(fixture, epochs, leader, 't', p, [...partition.isr, B1]),
      );
    }
    const preferredElsewhere = partitionsOf(fixture.log.image(), 't').filter(
      ([, partition]) => partition.replicas[0] === B1 && partition.leader !== B1,
    );
    expect(preferredElsewhere.length).toBeGreaterThan(0);
    return { fixture, preferredElsewhere };
  }

  it('gives each partition back to its preferred replica once the interval has passed', async () => {
    const { fixture, preferredElsewhere } = await imbalanced();
    fixture.env.advance(INTERVAL_MS);
    await heartbeatAll3(fixture);
    fixture.controller.tick();
    await flush();
    const image = fixture.log.image();
    for (const [p, before] of preferredElsewhere) {
      const after = partitionOf(image, 't', p);
      expect(after.leader).toBe(B1);
      expect(after.leaderEpoch).toBe(before.leaderEpoch + 1);
      expect(after.isr).toEqual(before.isr);
    }
  });

  it('waits for the interval, and does nothing when disabled', async () => {
    const early = await imbalanced();
    early.fixture.controller.tick();
    await flush();
    for (const [p, before] of early.preferredElsewhere) {
      expect(partitionOf(early.fixture.log.image(), 't', p).leader).toBe(before.leader);
    }
    const disabled = await imbalanced({ autoLeaderRebalanceEnable: false });
    disabled.fixture.env.advance(INTERVAL_MS * 3);
    await heartbeatAll3(disabled.fixture);
    disabled.fixture.controller.tick();
    await flush();
    for (const [p, before] of disabled.preferredElsewhere) {
      expect(partitionOf(disabled.fixture.log.image(), 't', p).leader).toBe(before.leader);
    }
  });

  /** Keeps every broker's session alive across a clock jump. */
  async function heartbeatAll3(fixture: Fixture) {
    const image = fixture.log.image();
    for (const id of [1, 2, 3])
      await heartbeat(fixture, id, image.brokers.get(brokerId(id))!.epoch as BrokerEpoch);
  }
});

describe('allocateProducerIds (Kafka AllocateProducerIds)', () => {
  it('answers consecutive blocks of 1000 ids, each committed in a ProducerIds record first', async () => {
    const fixture = await activeFixture();
    const epoch1 = await register(fixture, 1);
    const epoch2 = await register(fixture, 2);
    const first = await fixture.controller.allocateProducerIds({ brokerId: B1, brokerEpoch: epoch1 });
    expect(first).toEqual({ producerIdStart: 0, producerIdLen: 1000 });
    expect(fixture.log.batches.at(-1)!.records).toEqual([
      { type: 'producerIds', brokerId: B1, brokerEpoch: epoch1, nextProducerId: 1000 },
    ]);
    const blocks = await Promise.all([
      fixture.controller.allocateProducerIds({ brokerId: B2, brokerEpoch: epoch2 }),
      fixture.controller.allocateProducerIds({ brokerId: B1, brokerEpoch: epoch1 }),
    ]);
    expect(blocks).toEqual([
      { producerIdStart: 1000, producerIdLen: 1000 },
      { producerIdStart: 2000, producerIdLen: 1000 },
    ]);
    expect(fixture.log.image().nextProducerId).toBe(3000);
  });

  it('continues after the last committed block on a new controller (the image holds the next id)', async () => {
    const fixture = await activeFixture();
    const epoch = await register(fixture, 1);
    await fixture.controller.allocateProducerIds({ brokerId: B1, brokerEpoch: epoch });
    const successor = new QuorumController({
      config: controllerConfig({ nodeId: nodeId(2) }),
      environment: fixture.env,
      log: fixture.log,
    });
    successor.becomeLeader(term(2));
    await flush();
    expect(await successor.allocateProducerIds({ brokerId: B1, brokerEpoch: epoch })).toEqual({
      producerIdStart: 1000,
      producerIdLen: 1000,
    });
  });

  it('answers STALE_BROKER_EPOCH to a broker not registered at that epoch, writing nothing', async () => {
    const fixture = await activeFixture();
    const epoch = await register(fixture, 1);
    const batches = fixture.log.batches.length;
    const stale = fixture.controller.allocateProducerIds({
      brokerId: B1,
      brokerEpoch: (epoch + 1) as BrokerEpoch,
    });
    expect(await errorOf(stale)).toBe('STALE_BROKER_EPOCH');
    expect(await errorOf(fixture.controller.allocateProducerIds({ brokerId: B2, brokerEpoch: epoch }))).toBe(
      'STALE_BROKER_EPOCH',
    );
    expect(fixture.log.batches.length).toBe(batches);
    expect(fixture.log.image().nextProducerId).toBe(0);
  });
});
