// SyncGroup: the leader sends the generation's assignment; every member gets its own once it has.
// READ on the group is asked first (GROUP_AUTHORIZATION_FAILED).
import { syncGroupApi } from '../protocol/generated/apis.ts';
import type { SyncGroupRequest } from '../protocol/generated/sync-group-request.ts';
import {
  defaultSyncGroupResponse,
  type SyncGroupResponse,
} from '../protocol/generated/sync-group-response.ts';
import type { ApiHandler } from '../server/api-handler.ts';
import { requireGroup } from './authorization.ts';
import type { KafkaBroker } from './broker-ports.ts';
import { errorAnswer } from './error-codes.ts';
import { localCoordinator } from './group-coordinator.ts';

export function syncGroupHandler(broker: KafkaBroker): ApiHandler<SyncGroupRequest, SyncGroupResponse> {
  return {
    codec: syncGroupApi,
    async handle(request, context) {
      try {
        requireGroup(broker, context, 'READ', request.groupId);
        const answer = await localCoordinator(broker, request.groupId).sync(request.groupId, {
          memberId: request.memberId,
          generation: request.generationId,
          protocolType: request.protocolType,
          protocolName: request.protocolName,
          assignments: new Map(request.assignments.map(({ memberId, assignment }) => [memberId, assignment])),
        });
        if (answer.kind === 'failed') {
          const { code } = errorAnswer(answer.error, context.logger, 'SyncGroup failed');
          return { ...defaultSyncGroupResponse(), errorCode: code };
        }
        return {
          ...defaultSyncGroupResponse(),
          protocolType: answer.protocolType,
          protocolName: answer.protocolName,
          assignment: answer.assignment,
        };
      } catch (error) {
        const { code } = errorAnswer(error, context.logger, 'SyncGroup failed');
        return { ...defaultSyncGroupResponse(), errorCode: code };
      }
    },
  };
}
