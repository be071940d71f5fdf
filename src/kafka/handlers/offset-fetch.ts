// OffsetFetch: a group's committed offsets, of the partitions asked or (topics null, version 2+) of
// every partition with a commit; from version 8 for many groups at once. Behind a read barrier, as
// REST's: this node first catches up with the metadata committed at the controller, so that a node
// cut off from the quorum does not answer from the cache of a coordinator it no longer is (a committed
// offset going back: the whole-cluster simulation's seed 370). DESCRIBE on the group is asked
// (GROUP_AUTHORIZATION_FAILED), and on each topic: a named one is refused TOPIC_AUTHORIZATION_FAILED, and
// an all-topics answer leaves out those the principal may not describe.
import { KafkaError, KafkaErrors } from '../../common/kafka-errors.ts';
import type { CommittedOffset, TopicPartition } from '../../groups/api.ts';
import { notCoordinator } from '../../groups/errors.ts';
import { offsetFetchApi } from '../protocol/generated/apis.ts';
import type { OffsetFetchRequest } from '../protocol/generated/offset-fetch-request.ts';
import {
  defaultOffsetFetchResponse,
  defaultOffsetFetchResponseGroup,
  type OffsetFetchResponse,
  type OffsetFetchResponseGroup,
  type OffsetFetchResponseTopic,
} from '../protocol/generated/offset-fetch-response.ts';
import type { ApiHandler, RequestContext } from '../server/api-handler.ts';
import { requireGroup, topicAllowed } from './authorization.ts';
import type { KafkaBroker } from './broker-ports.ts';
import { errorAnswer, NONE } from './error-codes.ts';
import { localCoordinator } from './group-coordinator.ts';

const BATCHED_VERSION = 8;
const READ_BARRIER_TIMEOUT_MS = 1_000;

interface AskedTopic {
  readonly name: string;
  readonly partitionIndexes: readonly number[];
}

export function offsetFetchHandler(broker: KafkaBroker): ApiHandler<OffsetFetchRequest, OffsetFetchResponse> {
  return {
    codec: offsetFetchApi,
    async handle(request, context) {
      if (context.apiVersion >= BATCHED_VERSION) {
        const groups = await Promise.all(
          request.groups.map((group) => fetchGroup(broker, group.groupId, group.topics, context)),
        );
        return { ...defaultOffsetFetchResponse(), groups };
      }
      const answer = await fetchGroup(broker, request.groupId, request.topics, context);
      return { ...defaultOffsetFetchResponse(), topics: answer.topics, errorCode: answer.errorCode };
    },
  };
}

async function fetchGroup(
  broker: KafkaBroker,
  groupId: string,
  topics: readonly AskedTopic[] | null,
  context: RequestContext,
): Promise<OffsetFetchResponseGroup> {
  try {
    requireGroup(broker, context, 'DESCRIBE', groupId);
    const coordinator = localCoordinator(broker, groupId);
    await broker.admin.catchUp(READ_BARRIER_TIMEOUT_MS).catch((error: unknown) => {
      throw new KafkaError(
        'COORDINATOR_NOT_AVAILABLE',
        `The committed offsets of group ${groupId} need this node to catch up with the metadata quorum first.`,
        { cause: error },
      );
    });
    // Caught up, the image may already name another leader while the replication layer is still
    // handing the partition over (the coordinator resigns after it): its cache would be stale.
    if (!broker.groups.leadsGroup(groupId)) {
      throw notCoordinator(groupId);
    }
    // Topics the principal may not describe: refused when named, left out of an all-topics answer.
    const answers = new Map<string, boolean>();
    const describable = (topic: string): boolean => {
      let answer = answers.get(topic);
      if (answer === undefined) {
        answer = topicAllowed(broker, context, 'DESCRIBE', topic);
        answers.set(topic, answer);
      }
      return answer;
    };
    const allowed = topics?.filter(({ name }) => describable(name)) ?? null;
    const refused = (topics ?? [])
      .filter(({ name }) => !describable(name))
      .map(({ name, partitionIndexes }) => ({
        name,
        partitions: partitionIndexes.map((partitionIndex) =>
          offsetOf(partitionIndex, -1, '', KafkaErrors.TOPIC_AUTHORIZATION_FAILED.code),
        ),
      }));
    const partitions: TopicPartition[] | null =
      allowed === null
        ? null
        : allowed.flatMap(({ name, partitionIndexes }) =>
            partitionIndexes.map((partition) => ({ topic: name, partition })),
          );
    const committed = await coordinator.fetchOffsets({ groupId, partitions });
    const visible =
      topics === null && broker.authorizer.enabled
        ? committed.filter(({ topic }) => describable(topic))
        : committed;
    return { ...defaultOffsetFetchResponseGroup(), groupId, topics: [...byTopic(visible), ...refused] };
  } catch (error) {
    const { code } = errorAnswer(error, context.logger, 'OffsetFetch failed');
    // Versions before 2 have no group-level error: it goes on every partition asked.
    const perPartition = (topics ?? []).map(({ name, partitionIndexes }) => ({
      name,
      partitions: partitionIndexes.map((partitionIndex) => offsetOf(partitionIndex, -1, '', code)),
    }));
    return { ...defaultOffsetFetchResponseGroup(), groupId, errorCode: code, topics: perPartition };
  }
}

function offsetOf(partitionIndex: number, offset: number, metadata: string, errorCode: number) {
  return { partitionIndex, committedOffset: BigInt(offset), committedLeaderEpoch: -1, metadata, errorCode };
}

function byTopic(committed: readonly CommittedOffset[]): OffsetFetchResponseTopic[] {
  const topics = new Map<string, OffsetFetchResponseTopic>();
  for (const { topic, partition, offset, metadata } of committed) {
    let entry = topics.get(topic);
    if (entry === undefined) {
      entry = { name: topic, partitions: [] };
      topics.set(topic, entry);
    }
    entry.partitions.push(offsetOf(partition, offset, metadata, NONE));
  }
  return [...topics.values()];
}
