// FindCoordinator: the broker leading the group's __consumer_offsets partition, at its PLAINTEXT
// endpoint (the topic is created on the first request, as Kafka does). One key (versions 0-3) or a
// batch of keys (4+). Transactional ids (key type 1) are not served: transactions are not supported.
// DESCRIBE on each group is asked (GROUP_AUTHORIZATION_FAILED).
import { KafkaError, KafkaErrors } from '../../common/kafka-errors.ts';
import { findCoordinatorApi } from '../protocol/generated/apis.ts';
import type { FindCoordinatorRequest } from '../protocol/generated/find-coordinator-request.ts';
import {
  type Coordinator,
  defaultCoordinator,
  defaultFindCoordinatorResponse,
  type FindCoordinatorResponse,
} from '../protocol/generated/find-coordinator-response.ts';
import type { ApiHandler, RequestContext } from '../server/api-handler.ts';
import { requireGroup } from './authorization.ts';
import type { KafkaBroker } from './broker-ports.ts';
import { reachableBrokers } from './brokers.ts';
import { errorAnswer } from './error-codes.ts';

const BATCHED_VERSION = 4;
const GROUP_KEY_TYPE = 0;
/** How long a lookup may wait for the offsets topic and its leaders (the client retries after). */
const LOOKUP_TIMEOUT_MS = 3_000;

export function findCoordinatorHandler(
  broker: KafkaBroker,
): ApiHandler<FindCoordinatorRequest, FindCoordinatorResponse> {
  return {
    codec: findCoordinatorApi,
    async handle(request, context) {
      if (context.apiVersion >= BATCHED_VERSION) {
        const coordinators = await Promise.all(
          request.coordinatorKeys.map((key) => find(broker, key, request.keyType, context)),
        );
        return { ...defaultFindCoordinatorResponse(), coordinators };
      }
      const found = await find(broker, request.key, request.keyType, context);
      return {
        ...defaultFindCoordinatorResponse(),
        errorCode: found.errorCode,
        errorMessage: found.errorMessage,
        nodeId: found.nodeId,
        host: found.host,
        port: found.port,
      };
    },
  };
}

async function find(
  broker: KafkaBroker,
  key: string,
  keyType: number,
  context: RequestContext,
): Promise<Coordinator> {
  const none = { ...defaultCoordinator(), key, nodeId: -1, host: '', port: -1 };
  if (keyType !== GROUP_KEY_TYPE) {
    return {
      ...none,
      errorCode: KafkaErrors.COORDINATOR_NOT_AVAILABLE.code,
      errorMessage: `Key type ${keyType} is not served: only consumer groups (0); transactions are not supported.`,
    };
  }
  if (key === '') {
    return {
      ...none,
      errorCode: KafkaErrors.INVALID_REQUEST.code,
      errorMessage: 'The group id must not be empty.',
    };
  }
  try {
    requireGroup(broker, context, 'DESCRIBE', key);
    const leader = await broker.groups.coordinatorOf(key, LOOKUP_TIMEOUT_MS);
    const endpoint = reachableBrokers(broker.image(), broker.listenerName).find(({ id }) => id === leader);
    if (endpoint === undefined) {
      throw new KafkaError(
        'COORDINATOR_NOT_AVAILABLE',
        `The coordinator of group ${key}, broker ${leader}, has no ${broker.listenerName} endpoint.`,
      );
    }
    return { ...none, nodeId: endpoint.id, host: endpoint.host, port: endpoint.port };
  } catch (error) {
    const answer = errorAnswer(error, context.logger, 'FindCoordinator failed');
    return { ...none, errorCode: answer.code, errorMessage: answer.message };
  }
}
