// Every API the Kafka listener serves, one handler each (api-keys.ts's ADVERTISED_VERSIONS lists the
// same APIs: the dispatcher refuses to start when the two differ).
import { type ServedApi, servedApi } from '../server/api-handler.ts';
import { createAclsHandler, deleteAclsHandler, describeAclsHandler } from './acls.ts';
import { alterConfigsHandler } from './alter-configs.ts';
import { apiVersionsHandler } from './api-versions.ts';
import type { KafkaBroker } from './broker-ports.ts';
import { alterClientQuotasHandler, describeClientQuotasHandler } from './client-quotas.ts';
import { createPartitionsHandler } from './create-partitions.ts';
import { createTopicsHandler } from './create-topics.ts';
import { deleteGroupsHandler } from './delete-groups.ts';
import { deleteRecordsHandler } from './delete-records.ts';
import { deleteTopicsHandler } from './delete-topics.ts';
import { describeClusterHandler } from './describe-cluster.ts';
import { describeConfigsHandler } from './describe-configs.ts';
import { describeGroupsHandler } from './describe-groups.ts';
import { fetchHandler } from './fetch.ts';
import { findCoordinatorHandler } from './find-coordinator.ts';
import { heartbeatHandler } from './heartbeat.ts';
import { incrementalAlterConfigsHandler } from './incremental-alter-configs.ts';
import { initProducerIdHandler } from './init-producer-id.ts';
import { joinGroupHandler } from './join-group.ts';
import { leaveGroupHandler } from './leave-group.ts';
import { listGroupsHandler } from './list-groups.ts';
import { listOffsetsHandler } from './list-offsets.ts';
import { metadataHandler } from './metadata.ts';
import { offsetCommitHandler } from './offset-commit.ts';
import { offsetFetchHandler } from './offset-fetch.ts';
import { offsetForLeaderEpochHandler } from './offset-for-leader-epoch.ts';
import { produceHandler } from './produce.ts';
import { syncGroupHandler } from './sync-group.ts';
import {
  alterUserScramCredentialsHandler,
  describeUserScramCredentialsHandler,
} from './user-scram-credentials.ts';

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
    servedApi(findCoordinatorHandler(broker)),
    servedApi(joinGroupHandler(broker)),
    servedApi(syncGroupHandler(broker)),
    servedApi(heartbeatHandler(broker)),
    servedApi(leaveGroupHandler(broker)),
    servedApi(offsetCommitHandler(broker)),
    servedApi(offsetFetchHandler(broker)),
    servedApi(listGroupsHandler(broker)),
    servedApi(describeGroupsHandler(broker)),
    servedApi(deleteGroupsHandler(broker)),
    servedApi(describeConfigsHandler(broker)),
    servedApi(alterConfigsHandler(broker)),
    servedApi(incrementalAlterConfigsHandler(broker)),
    servedApi(deleteRecordsHandler(broker)),
    servedApi(describeAclsHandler(broker)),
    servedApi(createAclsHandler(broker)),
    servedApi(deleteAclsHandler(broker)),
    servedApi(describeUserScramCredentialsHandler(broker)),
    servedApi(alterUserScramCredentialsHandler(broker)),
    servedApi(describeClientQuotasHandler(broker)),
    servedApi(alterClientQuotasHandler(broker)),
  ];
}
