// Every API the Kafka listener serves, one handler each (api-keys.ts's ADVERTISED_VERSIONS lists the
// same APIs: the dispatcher refuses to start when the two differ).
import { type ServedApi, servedApi } from '../server/api-handler.ts';
import { alterConfigsHandler } from './alter-configs.ts';
import { apiVersionsHandler } from './api-versions.ts';
import type { KafkaBroker } from './broker-ports.ts';
import { createPartitionsHandler } from './create-partitions.ts';
import { createTopicsHandler } from './create-topics.ts';
import { deleteRecordsHandler } from './delete-records.ts';
import { deleteTopicsHandler } from './delete-topics.ts';
import { describeClusterHandler } from './describe-cluster.ts';
import { describeConfigsHandler } from './describe-configs.ts';
import { fetchHandler } from './fetch.ts';
import { incrementalAlterConfigsHandler } from './incremental-alter-configs.ts';
import { initProducerIdHandler } from './init-producer-id.ts';
import { listOffsetsHandler } from './list-offsets.ts';
import { metadataHandler } from './metadata.ts';
import { offsetForLeaderEpochHandler } from './offset-for-leader-epoch.ts';
import { produceHandler } from './produce.ts';

export function kafkaApis(broker: KafkaBroker): ServedApi[] {
  return [
    servedApi(apiVersionsHandler()),
    servedApi(metadataHandler(broker)),
    servedApi(produceHandler(broker)),
    servedApi(fetchHandler(broker)),
    servedApi(listOffsetsHandler(broker)),
    servedApi(offsetForLeaderEpochHandler(broker)),
    servedApi(createTopicsHandler(broker)),
    servedApi(deleteTopicsHandler(broker)),
    servedApi(createPartitionsHandler(broker)),
    servedApi(describeClusterHandler(broker)),
    servedApi(initProducerIdHandler(broker)),
    servedApi(describeConfigsHandler(broker)),
    servedApi(alterConfigsHandler(broker)),
    servedApi(incrementalAlterConfigsHandler(broker)),
    servedApi(deleteRecordsHandler(broker)),
  ];
}
