// The forwarded group operations: each request and result survives the wire, and a KafkaError comes
// back as the same error.
import { describe, expect, it } from 'vitest';
import { KafkaError } from '../../src/common/kafka-errors.ts';
import {
  decodeGroupRequest,
  decodeGroupResult,
  encodeGroupRequest,
  encodeGroupResult,
  GroupRpcCodecError,
  isGroupOperation,
} from '../../src/node/group-rpc.ts';

describe('group RPC codec', () => {
  it('round-trips every request', () => {
    const join = {
      groupId: 'g',
      memberId: null,
      clientId: 'c',
      host: '/127.0.0.1',
      topics: ['a', 'b'],
      sessionTimeoutMs: 45_000,
    };
    expect(decodeGroupRequest('join', encodeGroupRequest('join', join))).toEqual(join);
    const rejoin = { ...join, memberId: 'c-1' };
    expect(decodeGroupRequest('join', encodeGroupRequest('join', rejoin))).toEqual(rejoin);
    const member = { groupId: 'g', memberId: 'c-1' };
    expect(decodeGroupRequest('heartbeat', encodeGroupRequest('heartbeat', member))).toEqual(member);
    expect(decodeGroupRequest('leave', encodeGroupRequest('leave', member))).toEqual(member);
    const commit = {
      groupId: 'g',
      memberId: null,
      generation: -1,
      offsets: [{ topic: 'a', partition: 2, offset: 2 ** 40, metadata: 'm' }],
    };
    expect(decodeGroupRequest('commit', encodeGroupRequest('commit', commit))).toEqual(commit);
    const all = { groupId: 'g', partitions: null };
    expect(decodeGroupRequest('fetch-offsets', encodeGroupRequest('fetch-offsets', all))).toEqual(all);
    const some = { groupId: 'g', partitions: [{ topic: 'a', partition: 0 }] };
    expect(decodeGroupRequest('fetch-offsets', encodeGroupRequest('fetch-offsets', some))).toEqual(some);
    const epoch = { ...some, coordinatorEpoch: 7 };
    expect(decodeGroupRequest('fetch-offsets', encodeGroupRequest('fetch-offsets', epoch))).toEqual(epoch);
    expect(decodeGroupRequest('describe', encodeGroupRequest('describe', { groupId: 'g' }))).toEqual({
      groupId: 'g',
    });
  });

  it('round-trips every result, and errors as KafkaErrors', () => {
    const membership = { memberId: 'c-1', generation: 3, assignment: [{ topic: 'a', partition: 1 }] };
    expect(decodeGroupResult('join', encodeGroupResult('join', membership))).toEqual(membership);
    const offsets = [{ topic: 'a', partition: 0, offset: -1, metadata: '' }];
    expect(decodeGroupResult('fetch-offsets', encodeGroupResult('fetch-offsets', offsets))).toEqual(offsets);
    const list = [{ groupId: 'g', state: 'Stable' as const }];
    expect(decodeGroupResult('list', encodeGroupResult('list', list))).toEqual(list);
    const description = {
      groupId: 'g',
      state: 'Stable' as const,
      generation: 2,
      coordinator: 3,
      members: [{ memberId: 'c-1', clientId: 'c', host: '/h', assignment: [{ topic: 'a', partition: 0 }] }],
      partitionAssignor: 'range',
    };
    expect(decodeGroupResult('describe', encodeGroupResult('describe', description))).toEqual(description);
    expect(decodeGroupResult('commit', encodeGroupResult('commit', undefined))).toBeUndefined();
    expect(() =>
      decodeGroupResult(
        'heartbeat',
        encodeGroupResult('heartbeat', new KafkaError('UNKNOWN_MEMBER_ID', 'who?')),
      ),
    ).toThrow(expect.objectContaining({ errorName: 'UNKNOWN_MEMBER_ID', message: 'who?' }));
  });

  it('knows its operations and refuses garbage', () => {
    expect(isGroupOperation('join')).toBe(true);
    expect(isGroupOperation('toString')).toBe(false);
    expect(() => decodeGroupRequest('join', new Uint8Array([0xff, 0xff, 0xff]))).toThrow(GroupRpcCodecError);
  });
});
