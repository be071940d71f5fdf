// DescribeGroups: state, protocol type, assignor and members (client id, host, metadata and
// assignment as the members sent them) of groups this node coordinates; Dead for an unknown group.
// DESCRIBE on each group is asked first (GROUP_AUTHORIZATION_FAILED); authorized operations when asked.
import { describeGroupsApi } from '../protocol/generated/apis.ts';
import type { DescribeGroupsRequest } from '../protocol/generated/describe-groups-request.ts';
import {
  type DescribedGroup,
  type DescribeGroupsResponse,
  defaultDescribedGroup,
  defaultDescribeGroupsResponse,
} from '../protocol/generated/describe-groups-response.ts';
import type { ApiHandler, RequestContext } from '../server/api-handler.ts';
import { groupOperations, requireGroup } from './authorization.ts';
import type { KafkaBroker } from './broker-ports.ts';
import { errorAnswer } from './error-codes.ts';
import { localCoordinator } from './group-coordinator.ts';

export function describeGroupsHandler(
  broker: KafkaBroker,
): ApiHandler<DescribeGroupsRequest, DescribeGroupsResponse> {
  return {
    codec: describeGroupsApi,
    async handle(request, context) {
      return {
        ...defaultDescribeGroupsResponse(),
        groups: request.groups.map((groupId) =>
          describe(broker, groupId, request.includeAuthorizedOperations, context),
        ),
      };
    },
  };
}

function describe(
  broker: KafkaBroker,
  groupId: string,
  includeAuthorizedOperations: boolean,
  context: RequestContext,
): DescribedGroup {
  try {
    requireGroup(broker, context, 'DESCRIBE', groupId);
    const group = localCoordinator(broker, groupId).describeProtocol(groupId);
    return {
      ...defaultDescribedGroup(),
      ...(includeAuthorizedOperations && {
        authorizedOperations: groupOperations(broker, context, groupId),
      }),
      groupId,
      groupState: group.state,
      protocolType: group.protocolType,
      protocolData: group.protocol,
      members: group.members.map((member) => ({
        memberId: member.memberId,
        groupInstanceId: member.groupInstanceId,
        clientId: member.clientId,
        clientHost: member.host,
        memberMetadata: member.metadata,
        memberAssignment: member.assignmentBytes,
      })),
    };
  } catch (error) {
    const { code } = errorAnswer(error, context.logger, 'DescribeGroups failed');
    return { ...defaultDescribedGroup(), groupId, errorCode: code };
  }
}
