// JoinGroup (the classic protocol): answered when the join phase of the rebalance completes. From
// version 4 a member without an id first gets one with MEMBER_ID_REQUIRED (KIP-394). READ on the group
// is asked first (GROUP_AUTHORIZATION_FAILED).
import { joinGroupApi } from '../protocol/generated/apis.ts';
import type { JoinGroupRequest } from '../protocol/generated/join-group-request.ts';
import {
  defaultJoinGroupResponse,
  type JoinGroupResponse,
} from '../protocol/generated/join-group-response.ts';
import type { ApiHandler } from '../server/api-handler.ts';
import { requireGroup } from './authorization.ts';
import type { KafkaBroker } from './broker-ports.ts';
import { errorAnswer } from './error-codes.ts';
import { clientHost, localCoordinator } from './group-coordinator.ts';

const MEMBER_ID_REQUIRED_VERSION = 4;

export function joinGroupHandler(broker: KafkaBroker): ApiHandler<JoinGroupRequest, JoinGroupResponse> {
  return {
    codec: joinGroupApi,
    async handle(request, context) {
      const failed = (errorCode: number, memberId: string): JoinGroupResponse => ({
        ...defaultJoinGroupResponse(),
        errorCode,
        generationId: -1,
        memberId,
      });
      try {
        requireGroup(broker, context, 'READ', request.groupId);
        const answer = await localCoordinator(broker, request.groupId).joinClassic(request.groupId, {
          memberId: request.memberId,
          groupInstanceId: request.groupInstanceId,
          clientId: context.clientId ?? '',
          host: clientHost(context),
          sessionTimeoutMs: request.sessionTimeoutMs,
          // Version 0 has no rebalance timeout: the session timeout serves for both, as in Kafka.
          rebalanceTimeoutMs:
            context.apiVersion === 0 ? request.sessionTimeoutMs : request.rebalanceTimeoutMs,
          protocolType: request.protocolType,
          protocols: request.protocols,
          requireKnownMemberId: context.apiVersion >= MEMBER_ID_REQUIRED_VERSION,
        });
        if (answer.kind === 'failed') {
          const { code } = errorAnswer(answer.error, context.logger, 'JoinGroup failed');
          return failed(code, answer.memberId);
        }
        return {
          ...defaultJoinGroupResponse(),
          generationId: answer.generation,
          protocolType: answer.protocolType,
          protocolName: answer.protocolName,
          leader: answer.leader,
          memberId: answer.memberId,
          members: answer.members.map(({ memberId, groupInstanceId, metadata }) => ({
            memberId,
            groupInstanceId,
            metadata,
          })),
        };
      } catch (error) {
        const { code } = errorAnswer(error, context.logger, 'JoinGroup failed');
        return failed(code, request.memberId);
      }
    },
  };
}
