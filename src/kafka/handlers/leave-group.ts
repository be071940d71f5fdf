// LeaveGroup: one member (versions 0-2) or a batch named by member id or static instance id (3+).
// READ on the group is asked first (GROUP_AUTHORIZATION_FAILED for the whole request).
import { KafkaError, KafkaErrors } from '../../common/kafka-errors.ts';
import { leaveGroupApi } from '../protocol/generated/apis.ts';
import type { LeaveGroupRequest } from '../protocol/generated/leave-group-request.ts';
import {
  defaultLeaveGroupResponse,
  defaultMemberResponse,
  type LeaveGroupResponse,
  type MemberResponse,
} from '../protocol/generated/leave-group-response.ts';
import type { ApiHandler, RequestContext } from '../server/api-handler.ts';
import { requireGroup } from './authorization.ts';
import type { KafkaBroker, LocalGroupCoordinator } from './broker-ports.ts';
import { errorAnswer, NONE } from './error-codes.ts';
import { localCoordinator } from './group-coordinator.ts';

const BATCHED_VERSION = 3;
/** Errors that concern the group, not one member: answered once, at the top. */
const GROUP_LEVEL_ERRORS: ReadonlySet<number> = new Set([
  KafkaErrors.NOT_COORDINATOR.code,
  KafkaErrors.COORDINATOR_LOAD_IN_PROGRESS.code,
  KafkaErrors.COORDINATOR_NOT_AVAILABLE.code,
]);

export function leaveGroupHandler(broker: KafkaBroker): ApiHandler<LeaveGroupRequest, LeaveGroupResponse> {
  return {
    codec: leaveGroupApi,
    async handle(request, context) {
      const { groupId } = request;
      let coordinator: LocalGroupCoordinator;
      try {
        requireGroup(broker, context, 'READ', groupId);
        coordinator = localCoordinator(broker, groupId);
      } catch (error) {
        return {
          ...defaultLeaveGroupResponse(),
          errorCode: errorAnswer(error, context.logger, 'LeaveGroup').code,
        };
      }
      if (context.apiVersion < BATCHED_VERSION) {
        const errorCode = await leave(coordinator, groupId, request.memberId, null, context);
        return { ...defaultLeaveGroupResponse(), errorCode };
      }
      const members: MemberResponse[] = [];
      for (const { memberId, groupInstanceId } of request.members) {
        const errorCode = await leave(coordinator, groupId, memberId, groupInstanceId, context);
        members.push({ ...defaultMemberResponse(), memberId, groupInstanceId, errorCode });
      }
      // As Kafka: a group-level error only when the whole request failed (e.g. NOT_COORDINATOR).
      const groupLevel = members.find(({ errorCode }) => GROUP_LEVEL_ERRORS.has(errorCode));
      return {
        ...defaultLeaveGroupResponse(),
        errorCode: groupLevel?.errorCode ?? NONE,
        members: groupLevel === undefined ? members : [],
      };
    },
  };
}

async function leave(
  coordinator: LocalGroupCoordinator,
  groupId: string,
  memberId: string,
  groupInstanceId: string | null,
  context: RequestContext,
): Promise<number> {
  try {
    let target = memberId;
    if (groupInstanceId !== null) {
      const current = coordinator.memberOfInstance(groupId, groupInstanceId);
      if (current === null || (memberId !== '' && memberId !== current)) {
        throw new KafkaError(
          current === null ? 'UNKNOWN_MEMBER_ID' : 'FENCED_INSTANCE_ID',
          `Instance ${groupInstanceId} of group ${groupId} is ${current === null ? 'not a member' : `member ${current}`}.`,
        );
      }
      target = current;
    }
    await coordinator.leave({ groupId, memberId: target });
    return NONE;
  } catch (error) {
    return errorAnswer(error, context.logger, 'LeaveGroup failed').code;
  }
}
