// Heartbeat of a classic member: keeps its session; REBALANCE_IN_PROGRESS tells it to rejoin. READ on
// the group is asked first (GROUP_AUTHORIZATION_FAILED).
import { heartbeatApi } from '../protocol/generated/apis.ts';
import type { HeartbeatRequest } from '../protocol/generated/heartbeat-request.ts';
import {
  defaultHeartbeatResponse,
  type HeartbeatResponse,
} from '../protocol/generated/heartbeat-response.ts';
import type { ApiHandler } from '../server/api-handler.ts';
import { requireGroup } from './authorization.ts';
import type { KafkaBroker } from './broker-ports.ts';
import { errorAnswer } from './error-codes.ts';
import { localCoordinator } from './group-coordinator.ts';

export function heartbeatHandler(broker: KafkaBroker): ApiHandler<HeartbeatRequest, HeartbeatResponse> {
  return {
    codec: heartbeatApi,
    async handle(request, context) {
      try {
        requireGroup(broker, context, 'READ', request.groupId);
        await localCoordinator(broker, request.groupId).heartbeatClassic(
          request.groupId,
          request.memberId,
          request.generationId,
        );
        return defaultHeartbeatResponse();
      } catch (error) {
        const { code } = errorAnswer(error, context.logger, 'Heartbeat failed');
        return { ...defaultHeartbeatResponse(), errorCode: code };
      }
    },
  };
}
