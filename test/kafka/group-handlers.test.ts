// The group APIs through the listener's dispatcher over an in-memory broker (fake-broker.ts, whose
// coordinator leads every group): a member's whole life at every advertised version of each API, and
// the answers Kafka gives to the wrong coordinator.
import { beforeEach, describe, expect, it } from 'vitest';
import { KafkaErrors } from '../../src/common/kafka-errors.ts';
import { ADVERTISED_VERSIONS } from '../../src/kafka/protocol/api-keys.ts';
import { consumerProtocol } from '../../src/kafka/protocol/consumer-protocol.ts';
import {
  deleteGroupsApi,
  describeGroupsApi,
  findCoordinatorApi,
  heartbeatApi,
  joinGroupApi,
  leaveGroupApi,
  listGroupsApi,
  offsetCommitApi,
  offsetFetchApi,
  syncGroupApi,
} from '../../src/kafka/protocol/generated/apis.ts';
import { defaultDeleteGroupsRequest } from '../../src/kafka/protocol/generated/delete-groups-request.ts';
import { defaultDescribeGroupsRequest } from '../../src/kafka/protocol/generated/describe-groups-request.ts';
import { defaultFindCoordinatorRequest } from '../../src/kafka/protocol/generated/find-coordinator-request.ts';
import { defaultHeartbeatRequest } from '../../src/kafka/protocol/generated/heartbeat-request.ts';
import { defaultJoinGroupRequest } from '../../src/kafka/protocol/generated/join-group-request.ts';
import { defaultLeaveGroupRequest } from '../../src/kafka/protocol/generated/leave-group-request.ts';
import { defaultListGroupsRequest } from '../../src/kafka/protocol/generated/list-groups-request.ts';
import { defaultOffsetCommitRequest } from '../../src/kafka/protocol/generated/offset-commit-request.ts';
import { defaultOffsetFetchRequest } from '../../src/kafka/protocol/generated/offset-fetch-request.ts';
import { defaultSyncGroupRequest } from '../../src/kafka/protocol/generated/sync-group-request.ts';
import type { RequestDispatcher } from '../../src/kafka/server/request-dispatch.ts';
import { answer } from './exchange.ts';
import { type FakeBroker, servedFakeBroker } from './fake-broker.ts';

let broker: FakeBroker;
let dispatcher: RequestDispatcher;

beforeEach(async () => {
  ({ broker, dispatcher } = await servedFakeBroker({ replicationFactor: 1 }));
  // The fake coordinator's one __consumer_offsets partition finishes loading.
  await new Promise((resolve) => setImmediate(resolve));
});

function range(name: string): number[] {
  const versions = ADVERTISED_VERSIONS.get(name)!;
  return Array.from({ length: versions.highest - versions.lowest + 1 }, (_, i) => versions.lowest + i);
}

const subscription = consumerProtocol.encodeSubscription(['orders']);

/** One member's life in group `g` at version `v` of every group API (capped at each API's range). */
async function memberLife(groupId: string, v: number): Promise<void> {
  const at = (name: string) => Math.min(v, ADVERTISED_VERSIONS.get(name)!.highest);
  const batched = at('FindCoordinator') >= 4;
  const find = await answer(dispatcher, findCoordinatorApi, at('FindCoordinator'), {
    ...defaultFindCoordinatorRequest(),
    ...(batched ? { coordinatorKeys: [groupId] } : { key: groupId }),
  });
  const coordinator = batched ? find.coordinators[0]! : find;
  expect(coordinator.errorCode, `FindCoordinator v${at('FindCoordinator')}`).toBe(0);
  expect(coordinator.nodeId).toBe(1);
  const joinRequest = {
    ...defaultJoinGroupRequest(),
    groupId,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: at('JoinGroup') >= 1 ? 10_000 : defaultJoinGroupRequest().rebalanceTimeoutMs,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: subscription }],
  };
  let joined = await answer(dispatcher, joinGroupApi, at('JoinGroup'), joinRequest);
  if (at('JoinGroup') >= 4) {
    expect(joined.errorCode, `JoinGroup v${at('JoinGroup')}`).toBe(KafkaErrors.MEMBER_ID_REQUIRED.code);
    joined = await answer(dispatcher, joinGroupApi, at('JoinGroup'), {
      ...joinRequest,
      memberId: joined.memberId,
    });
  }
  expect(joined.errorCode, `JoinGroup v${at('JoinGroup')}`).toBe(0);
  expect(joined.leader).toBe(joined.memberId);
  expect(joined.members.map((member) => member.memberId)).toEqual([joined.memberId]);
  const { memberId, generationId } = joined;
  const assignment = consumerProtocol.encodeAssignment(
    [0, 1, 2].map((partition) => ({ topic: 'orders', partition })),
  );
  const synced = await answer(dispatcher, syncGroupApi, at('SyncGroup'), {
    ...defaultSyncGroupRequest(),
    groupId,
    generationId,
    memberId,
    protocolType: at('SyncGroup') >= 5 ? 'consumer' : null,
    protocolName: at('SyncGroup') >= 5 ? 'range' : null,
    assignments: [{ memberId, assignment }],
  });
  expect(synced.errorCode, `SyncGroup v${at('SyncGroup')}`).toBe(0);
  expect(consumerProtocol.decodeAssignment(synced.assignment)).toHaveLength(3);
  const beat = await answer(dispatcher, heartbeatApi, at('Heartbeat'), {
    ...defaultHeartbeatRequest(),
    groupId,
    generationId,
    memberId,
  });
  expect(beat.errorCode, `Heartbeat v${at('Heartbeat')}`).toBe(0);
  const commitVersion = at('OffsetCommit');
  const partitionFields = (offset: bigint, metadata: string | null) => ({
    committedOffset: offset,
    committedLeaderEpoch: -1,
    commitTimestamp: commitVersion === 1 ? 0n : -1n,
    committedMetadata: metadata,
  });
  const commit = await answer(dispatcher, offsetCommitApi, commitVersion, {
    ...defaultOffsetCommitRequest(),
    groupId,
    ...(commitVersion >= 1 ? { generationIdOrMemberEpoch: generationId, memberId } : {}),
    topics: [
      {
        name: 'orders',
        partitions: [{ partitionIndex: 1, ...partitionFields(7n, 'm') }],
      },
      {
        name: 'nowhere',
        partitions: [{ partitionIndex: 0, ...partitionFields(1n, commitVersion >= 1 ? null : '') }],
      },
    ],
  });
  const codes = commit.topics.map((topic) => topic.partitions[0]!.errorCode);
  // Version 0 has no member: a simple commit, refused while the group has one (as Kafka).
  expect(codes, `OffsetCommit v${at('OffsetCommit')}`).toEqual([
    at('OffsetCommit') === 0 ? KafkaErrors.UNKNOWN_MEMBER_ID.code : 0,
    KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION.code,
  ]);
  const fetchVersion = at('OffsetFetch');
  const topics = [{ name: 'orders', partitionIndexes: [1, 2] }];
  const fetched = await answer(dispatcher, offsetFetchApi, fetchVersion, {
    ...defaultOffsetFetchRequest(),
    ...(fetchVersion >= 8
      ? { groups: [{ groupId, memberId: null, memberEpoch: -1, topics }] }
      : { groupId, topics }),
  });
  const partitions =
    fetchVersion >= 8 ? fetched.groups[0]!.topics[0]!.partitions : fetched.topics[0]!.partitions;
  expect(
    partitions.map((p) => [p.partitionIndex, Number(p.committedOffset)]),
    `OffsetFetch v${fetchVersion}`,
  ).toEqual([
    [1, at('OffsetCommit') === 0 ? -1 : 7],
    [2, -1],
  ]);
  const described = await answer(dispatcher, describeGroupsApi, at('DescribeGroups'), {
    ...defaultDescribeGroupsRequest(),
    groups: [groupId],
  });
  expect(described.groups[0], `DescribeGroups v${at('DescribeGroups')}`).toMatchObject({
    errorCode: 0,
    groupState: 'Stable',
    protocolType: 'consumer',
    protocolData: 'range',
  });
  const listed = await answer(dispatcher, listGroupsApi, at('ListGroups'), defaultListGroupsRequest());
  expect(listed.groups.map((group) => group.groupId)).toContain(groupId);
  const left = await answer(dispatcher, leaveGroupApi, at('LeaveGroup'), {
    ...defaultLeaveGroupRequest(),
    groupId,
    ...(at('LeaveGroup') >= 3
      ? { members: [{ memberId, groupInstanceId: null, reason: null }] }
      : { memberId }),
  });
  expect(left.errorCode, `LeaveGroup v${at('LeaveGroup')}`).toBe(0);
  if (at('LeaveGroup') >= 3) expect(left.members.map((member) => member.errorCode)).toEqual([0]);
  const deleted = await answer(dispatcher, deleteGroupsApi, at('DeleteGroups'), {
    ...defaultDeleteGroupsRequest(),
    groupsNames: [groupId, 'never-was'],
  });
  expect(deleted.results.map((result) => [result.groupId, result.errorCode])).toEqual([
    [groupId, at('OffsetCommit') === 0 ? KafkaErrors.GROUP_ID_NOT_FOUND.code : 0],
    ['never-was', KafkaErrors.GROUP_ID_NOT_FOUND.code],
  ]);
}

describe('group APIs', () => {
  it('a member joins, syncs, heartbeats, commits, fetches, is described and listed, leaves, and the group is deleted, at every version', async () => {
    const highest = Math.max(
      ...['JoinGroup', 'OffsetCommit', 'OffsetFetch'].map((name) => range(name).at(-1)!),
    );
    for (let v = 0; v <= highest; v++) await memberLife(`group-v${v}`, v);
  });

  it("a node the image does not name as the group partition's leader answers offsets NOT_COORDINATOR, even if its cache has them", async () => {
    await memberLife('warm', 5);
    const fake = broker as { groups: { leadsGroup: (groupId: string) => boolean } };
    fake.groups.leadsGroup = () => false;
    const fetched = await answer(dispatcher, offsetFetchApi, 5, {
      ...defaultOffsetFetchRequest(),
      groupId: 'warm',
      topics: null,
    });
    expect(fetched.errorCode).toBe(KafkaErrors.NOT_COORDINATOR.code);
  });

  it('FindCoordinator refuses transactional keys and empty group ids', async () => {
    const found = await answer(dispatcher, findCoordinatorApi, 4, {
      ...defaultFindCoordinatorRequest(),
      keyType: 0,
      coordinatorKeys: ['', 'g'],
    });
    expect(found.coordinators.map((c) => c.errorCode)).toEqual([KafkaErrors.INVALID_REQUEST.code, 0]);
    const transactional = await answer(dispatcher, findCoordinatorApi, 3, {
      ...defaultFindCoordinatorRequest(),
      key: 'txn',
      keyType: 1,
    });
    expect(transactional.errorCode).toBe(KafkaErrors.COORDINATOR_NOT_AVAILABLE.code);
  });

  it('a Kafka member and the errors of the classic protocol: an unknown member, a stale generation, a rebalance', async () => {
    const joinRequest = {
      ...defaultJoinGroupRequest(),
      groupId: 'g',
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 10_000,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: subscription }],
    };
    const first = await answer(dispatcher, joinGroupApi, 3, joinRequest);
    expect(first.errorCode).toBe(0);
    const stale = await answer(dispatcher, heartbeatApi, 3, {
      ...defaultHeartbeatRequest(),
      groupId: 'g',
      generationId: first.generationId + 5,
      memberId: first.memberId,
    });
    expect(stale.errorCode).toBe(KafkaErrors.ILLEGAL_GENERATION.code);
    const unknown = await answer(dispatcher, heartbeatApi, 3, {
      ...defaultHeartbeatRequest(),
      groupId: 'g',
      generationId: first.generationId,
      memberId: 'nobody',
    });
    expect(unknown.errorCode).toBe(KafkaErrors.UNKNOWN_MEMBER_ID.code);
    // A second member starts a rebalance: the first hears of it by heartbeat.
    const second = answer(dispatcher, joinGroupApi, 3, joinRequest);
    await new Promise((resolve) => setImmediate(resolve));
    const told = await answer(dispatcher, heartbeatApi, 3, {
      ...defaultHeartbeatRequest(),
      groupId: 'g',
      generationId: first.generationId,
      memberId: first.memberId,
    });
    expect(told.errorCode).toBe(KafkaErrors.REBALANCE_IN_PROGRESS.code);
    const rejoined = await answer(dispatcher, joinGroupApi, 3, { ...joinRequest, memberId: first.memberId });
    expect(rejoined.generationId).toBe(first.generationId + 1);
    expect((await second).generationId).toBe(first.generationId + 1);
  });
});
