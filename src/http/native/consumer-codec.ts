// The native API's consumer envelopes (proto/native.proto): list-offsets and consumer groups. Plain
// objects both ways; a body that does not decode is a 400 (HttpError MALFORMED_REQUEST).
import type protobuf from 'protobufjs';
import { decode, decodeAnswer, encode, nativeType } from './codec.ts';

export interface NativeTopicPartitions {
  readonly name: string;
  readonly partitions: readonly number[];
}

export interface NativeListOffsetsRequest {
  readonly topics: readonly NativeTopicPartitions[];
}

export interface NativeListOffsetsResponse {
  readonly topics: readonly {
    readonly name: string;
    readonly partitions: readonly {
      readonly partition: number;
      readonly errorCode: number;
      readonly errorMessage: string;
      readonly logStartOffset: number;
      readonly highWatermark: number;
    }[];
  }[];
}

export interface NativeJoinGroupRequest {
  readonly groupId: string;
  readonly memberId: string;
  readonly clientId: string;
  readonly topics: readonly string[];
  readonly sessionTimeoutMs: number;
}

export interface NativeMemberRequest {
  readonly groupId: string;
  readonly memberId: string;
}

export interface NativeGroupResponse {
  readonly errorCode: number;
  readonly errorMessage: string;
}

export interface NativeMembershipResponse extends NativeGroupResponse {
  readonly memberId: string;
  readonly generation: number;
  readonly assignment: readonly NativeTopicPartitions[];
}

export interface NativeCommitOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly metadata: string;
}

export interface NativeCommitOffsetsRequest {
  readonly groupId: string;
  readonly memberId: string;
  readonly generation: number;
  readonly offsets: readonly NativeCommitOffset[];
}

export interface NativeFetchOffsetsRequest {
  readonly groupId: string;
  readonly topics: readonly NativeTopicPartitions[];
}

export interface NativeFetchOffsetsResponse extends NativeGroupResponse {
  readonly offsets: readonly NativeCommitOffset[];
}

/** A message's codec both ways: the server decodes requests and encodes answers, clients the reverse. */
function codecOf<T extends object>(name: string) {
  const messageType: protobuf.Type = nativeType(name);
  return {
    decode: (body: unknown): T => decode<T>(messageType, body, `native.${name}`),
    encode: (message: T): Buffer => encode(messageType, message),
    decodeAnswer: (bytes: Uint8Array): T => decodeAnswer<T>(messageType, bytes),
  };
}

export const consumerCodec = {
  listOffsetsRequest: codecOf<NativeListOffsetsRequest>('ListOffsetsRequest'),
  listOffsetsResponse: codecOf<NativeListOffsetsResponse>('ListOffsetsResponse'),
  joinGroupRequest: codecOf<NativeJoinGroupRequest>('JoinGroupRequest'),
  heartbeatRequest: codecOf<NativeMemberRequest>('HeartbeatRequest'),
  leaveGroupRequest: codecOf<NativeMemberRequest>('LeaveGroupRequest'),
  membershipResponse: codecOf<NativeMembershipResponse>('MembershipResponse'),
  groupResponse: codecOf<NativeGroupResponse>('GroupResponse'),
  commitOffsetsRequest: codecOf<NativeCommitOffsetsRequest>('CommitOffsetsRequest'),
  fetchOffsetsRequest: codecOf<NativeFetchOffsetsRequest>('FetchOffsetsRequest'),
  fetchOffsetsResponse: codecOf<NativeFetchOffsetsResponse>('FetchOffsetsResponse'),
};
