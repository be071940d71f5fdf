// DeleteGroups: an empty group and its committed offsets (NON_EMPTY_GROUP while it has members,
// GROUP_ID_NOT_FOUND for an unknown one), each answered on its own; DELETE on each group is asked first
// (GROUP_AUTHORIZATION_FAILED).
import { deleteGroupsApi } from '../protocol/generated/apis.ts';
import type { DeleteGroupsRequest } from '../protocol/generated/delete-groups-request.ts';
import {
  type DeleteGroupsResponse,
  defaultDeleteGroupsResponse,
} from '../protocol/generated/delete-groups-response.ts';
import type { ApiHandler } from '../server/api-handler.ts';
import { requireGroup } from './authorization.ts';
import type { KafkaBroker } from './broker-ports.ts';
import { errorAnswer, NONE } from './error-codes.ts';
import { localCoordinator } from './group-coordinator.ts';

export function deleteGroupsHandler(
  broker: KafkaBroker,
): ApiHandler<DeleteGroupsRequest, DeleteGroupsResponse> {
  return {
    codec: deleteGroupsApi,
    async handle(request, context) {
      const results = await Promise.all(
        request.groupsNames.map(async (groupId) => {
          try {
            requireGroup(broker, context, 'DELETE', groupId);
            await localCoordinator(broker, groupId).deleteGroup(groupId);
            return { groupId, errorCode: NONE };
          } catch (error) {
            return { groupId, errorCode: errorAnswer(error, context.logger, 'DeleteGroups failed').code };
          }
        }),
      );
      return { ...defaultDeleteGroupsResponse(), results };
    },
  };
}
