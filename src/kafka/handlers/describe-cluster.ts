// DescribeCluster: the cluster id, the reachable brokers and the broker named as controller (as in
// Metadata). Version 1's endpoint type 2 (controllers) is refused: controllers are reached on the
// INTERNAL listener, not by clients. Open to every client, as Kafka's; the cluster's authorized
// operations (when asked) only to a principal that may DESCRIBE the cluster.
import { describeClusterApi } from '../protocol/generated/apis.ts';
import type { DescribeClusterRequest } from '../protocol/generated/describe-cluster-request.ts';
import {
  type DescribeClusterResponse,
  defaultDescribeClusterResponse,
} from '../protocol/generated/describe-cluster-response.ts';
import type { ApiHandler } from '../server/api-handler.ts';
import { clusterOperations } from './authorization.ts';
import type { KafkaBroker } from './broker-ports.ts';
import { controllerIdForClients, reachableBrokers } from './brokers.ts';

const BROKERS_ENDPOINT_TYPE = 1;
/** UNSUPPORTED_ENDPOINT_TYPE (Kafka's error 119). */
const UNSUPPORTED_ENDPOINT_TYPE = 119;

export function describeClusterHandler(
  broker: KafkaBroker,
): ApiHandler<DescribeClusterRequest, DescribeClusterResponse> {
  return {
    codec: describeClusterApi,
    async handle(request, context) {
      if (request.endpointType !== BROKERS_ENDPOINT_TYPE)
        return {
          ...defaultDescribeClusterResponse(),
          errorCode: UNSUPPORTED_ENDPOINT_TYPE,
          errorMessage: `Endpoint type ${request.endpointType} is not served; ask for brokers (1)`,
          endpointType: request.endpointType,
        };
      const image = broker.image();
      const brokers = reachableBrokers(image, broker.listenerName);
      return {
        ...defaultDescribeClusterResponse(),
        clusterId: broker.clusterId,
        controllerId: controllerIdForClients(image, brokers, broker.nodeId),
        brokers: brokers.map((each) => ({
          brokerId: each.id,
          host: each.host,
          port: each.port,
          rack: each.rack,
        })),
        ...(request.includeClusterAuthorizedOperations && {
          clusterAuthorizedOperations: clusterOperations(broker, context),
        }),
      };
    },
  };
}
