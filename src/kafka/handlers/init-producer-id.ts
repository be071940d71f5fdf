// InitProducerId for idempotent producers (the Java producer's default, librdkafka's
// enable.idempotence): a new producer id from the node's block (the controller hands out blocks;
// src/node/producer-id-manager.ts) with epoch 0, whatever id and epoch the request carries, as Kafka's
// TransactionCoordinator answers a producer without a transactional id. The partition log then
// deduplicates its retries. Transactions are not served: a transactional id is refused. Authorized as
// Kafka's: IDEMPOTENT_WRITE on the cluster, or WRITE on some topic (KIP-679); else CLUSTER_AUTHORIZATION_FAILED.
import { KafkaErrors } from '../../common/kafka-errors.ts';
import { initProducerIdApi } from '../protocol/generated/apis.ts';
import type { InitProducerIdRequest } from '../protocol/generated/init-producer-id-request.ts';
import {
  defaultInitProducerIdResponse,
  type InitProducerIdResponse,
} from '../protocol/generated/init-producer-id-response.ts';
import type { ApiHandler } from '../server/api-handler.ts';
import { clusterAuthorizationFailed, mayWriteIdempotently } from './authorization.ts';
import type { KafkaBroker } from './broker-ports.ts';
import { errorAnswer } from './error-codes.ts';

export function initProducerIdHandler(
  broker: KafkaBroker,
): ApiHandler<InitProducerIdRequest, InitProducerIdResponse> {
  return {
    codec: initProducerIdApi,
    async handle(request, context) {
      if (request.transactionalId !== null) {
        context.logger.debug({ transactionalId: request.transactionalId }, 'transactions are not served');
        return { ...defaultInitProducerIdResponse(), errorCode: KafkaErrors.INVALID_REQUEST.code };
      }
      try {
        if (!mayWriteIdempotently(broker, context)) throw clusterAuthorizationFailed('IDEMPOTENT_WRITE');
        const { producerId, producerEpoch } = await broker.initProducerId();
        return { ...defaultInitProducerIdResponse(), producerId: BigInt(producerId), producerEpoch };
      } catch (error) {
        const { code } = errorAnswer(error, context.logger, 'InitProducerId failed');
        return { ...defaultInitProducerIdResponse(), errorCode: code };
      }
    },
  };
}
