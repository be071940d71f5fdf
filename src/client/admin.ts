// The SDK's admin client, as Kafka's Admin: topics, partitions, topic configs, consumer groups and
// offsets, over the REST API every node serves (v3; partition offsets from v2, which v3 lacks). Each
// call goes to any node that answers (rest-requests.ts: failover, retries, deadline); a call on several
// topics or groups makes one request each and, as Kafka's `all()`, rejects with the first failure once
// every request has finished (the others were carried out).

import type { TopicConfigDescription } from '../metadata/topic-config-describe.ts';
import type { ConsumerGroupData, ConsumerLagData } from '../http/routes/consumer-groups.ts';
import type { BrokerData } from '../http/render/broker.ts';
import type { ClusterData } from '../http/render/cluster.ts';
import type { PartitionData } from '../http/render/partition.ts';
import type { MetadataQuorumData, QuorumReplicaData } from '../http/render/quorum.ts';
import type { ResourceList } from '../http/render/resource.ts';
import type { TopicData } from '../http/render/topic.ts';
import type { AclData } from '../http/render/acl.ts';
import type {
  AclBindingFilter,
  AclDescription,
  AdminOptions,
  ClientQuotaAlteration,
  ClientQuotaEntry,
  AlterConfigsOptions,
  AlterConfigsRequest,
  ClusterDescription,
  ConfigEntry,
  ConfigResource,
  CreatedTopic,
  CreateTopicsOptions,
  DescribeClusterOptions,
  GroupDescription,
  GroupListing,
  GroupOffset,
  GroupState,
  ListedOffset,
  ListOffsetsRequest,
  MemberDescription,
  NewTopic,
  OffsetToCommit,
  QuorumInfo,
  QuorumReplica,
  ScramDeletion,
  ScramUpsertion,
  TopicDescription,
  UserScramCredentials,
} from './admin-types.ts';
import { KafkaError } from '../common/kafka-errors.ts';
import { BrokerConnections } from './connections.ts';
import { ClusterMetadata } from './metadata.ts';
import { RestError } from './rest-errors.ts';
import { RestRequests, segment } from './rest-requests.ts';

/** A consumer of GET .../consumer-groups/{g}/consumers (ConsumerData, with our `host`). */
interface ConsumerData {
  readonly consumer_id: string;
  readonly instance_id: string | null;
  readonly client_id: string;
  readonly host?: string;
}

interface AssignmentData {
  readonly topic_name: string;
  readonly partition_id: number;
}

/** The id at the end of a related link (`.../brokers/2`); null without a link. */
function idOfLink(link: { readonly related: string } | null): number | null {
  if (link === null) return null;
  const id = Number(link.related.slice(link.related.lastIndexOf('/') + 1));
  return Number.isInteger(id) ? id : null;
}

/** Runs `run` for every item at once; the results in order, or the first failure once all have ended. */
async function forEach<T, R>(items: readonly T[], run: (item: T) => Promise<R>): Promise<R[]> {
  const settled = await Promise.allSettled(items.map(run));
  const failed = settled.find((result) => result.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  return settled.map((result) => (result as PromiseFulfilledResult<R>).value);
}

const quorumReplica = (replica: QuorumReplicaData): QuorumReplica => ({
  replicaId: replica.replica_id,
  logEndOffset: replica.log_end_offset,
  lag: replica.lag,
  lastFetchTimestamp: replica.last_fetch_timestamp,
  lastCaughtUpTimestamp: replica.last_caught_up_timestamp,
});

/** The quorum a GET .../metadata-quorum answered, as Kafka's QuorumInfo. */
export function quorumInfoFrom(quorum: MetadataQuorumData): QuorumInfo {
  return {
    leaderId: quorum.leader_id,
    leaderEpoch: quorum.leader_epoch,
    highWatermark: quorum.high_watermark,
    maxFollowerLag: typeof quorum.max_follower_lag === 'number' ? quorum.max_follower_lag : null,
    voters: quorum.voters.map(quorumReplica),
    observers: quorum.observers.map(quorumReplica),
  };
}

const createdTopic = (data: TopicData): CreatedTopic => ({
  topic: data.topic_name,
  topicId: data.topic_id,
  numPartitions: data.partitions_count,
  replicationFactor: data.replication_factor,
});

const aclDescription = (acl: AclData): AclDescription => ({
  resourceType: acl.resource_type as AclDescription['resourceType'],
  resourceName: acl.resource_name,
  patternType: acl.pattern_type as AclDescription['patternType'],
  principal: acl.principal,
  host: acl.host,
  operation: acl.operation as AclDescription['operation'],
  permissionType: acl.permission as AclDescription['permissionType'],
});

/** The REST query of an ACL filter (Confluent's parameter names); absent fields match any value. */
function aclFilterQuery(filter: AclBindingFilter): string {
  const fields: [string, string | undefined][] = [
    ['resource_type', filter.resourceType],
    ['resource_name', filter.resourceName],
    ['pattern_type', filter.patternType],
    ['principal', filter.principal],
    ['host', filter.host],
    ['operation', filter.operation],
    ['permission', filter.permissionType],
  ];
  const present = fields.filter((field): field is [string, string] => field[1] !== undefined);
  return present.length === 0 ? '' : `?${new URLSearchParams(present).toString()}`;
}

/** A partition's replica ids: `replica_ids` (Confluent's `replicas` is a link), or a plain id array. */
function replicaIds(partition: PartitionData): readonly number[] {
  const { replicas } = partition as { readonly replicas?: unknown };
  if (Array.isArray(partition.replica_ids)) return partition.replica_ids;
  if (Array.isArray(replicas) && replicas.every((id) => typeof id === 'number')) return replicas as number[];
  throw new KafkaError(
    'UNKNOWN_SERVER_ERROR',
    `partition ${partition.partition_id} answered no replica ids.`,
  );
}

export class Admin {
  readonly #connections: BrokerConnections;
  readonly #rest: RestRequests;
  #closed = false;

  constructor(options: AdminOptions) {
    this.#connections = new BrokerConnections(options.security);
    const bootstrap = typeof options.bootstrap === 'string' ? [options.bootstrap] : options.bootstrap;
    const timeoutMs = options.requestTimeoutMs ?? 30_000;
    this.#rest = new RestRequests(
      this.#connections,
      new ClusterMetadata(this.#connections, bootstrap, timeoutMs),
      timeoutMs,
      options.retryBackoffMs ?? 100,
    );
  }

  /** The cluster's id (asked once, then kept). */
  clusterId(): Promise<string> {
    return this.#rest.clusterId();
  }

  async describeCluster(options: DescribeClusterOptions = {}): Promise<ClusterDescription> {
    const [cluster, brokers] = await Promise.all([
      this.#get<ClusterData>(''),
      this.#get<ResourceList<BrokerData>>('/brokers'),
    ]);
    return {
      clusterId: cluster.cluster_id,
      controller: idOfLink(cluster.controller),
      brokers: brokers.data
        .filter(
          (broker) =>
            (options.includeFencedBrokers === true || broker.fenced !== true) &&
            broker.host !== null &&
            broker.port !== null,
        )
        .map((broker) => ({
          id: broker.broker_id,
          host: broker.host!,
          port: broker.port!,
          rack: broker.rack ?? null,
          ...(options.includeFencedBrokers === true && {
            fenced: typeof broker.fenced === 'boolean' ? broker.fenced : null,
          }),
        }))
        .sort((a, b) => a.id - b.id),
    };
  }

  /** kafka-metadata-quorum describe --status --replication. */
  async describeMetadataQuorum(): Promise<QuorumInfo> {
    return quorumInfoFrom(await this.#get<MetadataQuorumData>('/metadata-quorum'));
  }

  /** Topic names, sorted; internal topics (__consumer_offsets) only with `includeInternal`. */
  async listTopics(options: { readonly includeInternal?: boolean } = {}): Promise<string[]> {
    const topics = await this.#get<ResourceList<TopicData>>('/topics');
    return topics.data
      .filter((topic) => options.includeInternal === true || !topic.is_internal)
      .map((topic) => topic.topic_name)
      .sort();
  }

  async createTopics(
    topics: readonly NewTopic[],
    options: CreateTopicsOptions = {},
  ): Promise<CreatedTopic[]> {
    return forEach(topics, async (topic) => {
      const assignment = Object.entries(topic.replicaAssignment ?? {}).map(([partition, brokers]) => ({
        partition_id: Number(partition),
        broker_ids: brokers,
      }));
      const body = {
        topic_name: topic.topic,
        ...(topic.numPartitions !== undefined &&
          topic.numPartitions !== -1 && { partitions_count: topic.numPartitions }),
        ...(topic.replicationFactor !== undefined &&
          topic.replicationFactor !== -1 && { replication_factor: topic.replicationFactor }),
        ...(assignment.length > 0 && { replicas_assignments: assignment }),
        ...(topic.configs !== undefined &&
          Object.keys(topic.configs).length > 0 && {
            configs: Object.entries(topic.configs).map(([name, value]) => ({ name, value })),
          }),
        ...(options.validateOnly === true && { validate_only: true }),
      };
      return createdTopic(
        (await this.#rest.send('POST', await this.#rest.clusterPath('/topics'), body)) as TopicData,
      );
    });
  }

  async deleteTopics(topics: readonly string[]): Promise<void> {
    await forEach(topics, async (topic) =>
      this.#rest.send('DELETE', await this.#rest.clusterPath(`/topics/${segment(topic)}`)),
    );
  }

  async describeTopics(topics: readonly string[]): Promise<TopicDescription[]> {
    return forEach(topics, async (name) => {
      const path = `/topics/${segment(name)}`;
      const [topic, partitions] = await Promise.all([
        this.#get<TopicData>(path),
        this.#get<ResourceList<PartitionData>>(`${path}/partitions`),
      ]);
      return {
        name: topic.topic_name,
        topicId: topic.topic_id,
        internal: topic.is_internal,
        partitions: partitions.data.map((p) => ({
          partition: p.partition_id,
          leader: p.leader_id < 0 ? null : p.leader_id,
          replicas: replicaIds(p),
          isr: p.isr,
        })),
      };
    });
  }

  /** Raises each topic's partition count to the total given (Kafka's NewPartitions.increaseTo). */
  async createPartitions(totals: Readonly<Record<string, number>>): Promise<void> {
    await forEach(Object.entries(totals), async ([topic, total]) =>
      this.#rest.send('PATCH', await this.#rest.clusterPath(`/topics/${segment(topic)}`), {
        partitions_count: total,
      }),
    );
  }

  /** Every config of the topic with its effective value and where that comes from, by config name. */
  async describeConfigs(resource: ConfigResource): Promise<Record<string, ConfigEntry>> {
    const configs = await this.#get<ResourceList<TopicConfigDescription>>(
      `/topics/${segment(resource.topic)}/configs`,
    );
    return Object.fromEntries(
      configs.data.map((config) => [
        config.name,
        {
          value: config.value,
          source: config.source,
          isDefault: config.is_default,
          isSensitive: config.is_sensitive,
          isReadOnly: config.is_read_only,
          synonyms: config.synonyms,
        },
      ]),
    );
  }

  /** Sets and deletes (back to the default) topic configs at once: all of them or, on an error, none. */
  async incrementalAlterConfigs(
    request: AlterConfigsRequest,
    options: AlterConfigsOptions = {},
  ): Promise<void> {
    const data = [
      ...Object.entries(request.set ?? {}).map(([name, value]) => ({ name, value, operation: 'SET' })),
      ...(request.delete ?? []).map((name) => ({ name, operation: 'DELETE' })),
    ];
    await this.#rest.send(
      'POST',
      await this.#rest.clusterPath(`/topics/${segment(request.topic)}/configs:alter`),
      { data, ...(options.validateOnly === true && { validate_only: true }) },
    );
  }

  async listGroups(): Promise<GroupListing[]> {
    const groups = await this.#get<ResourceList<ConsumerGroupData>>('/consumer-groups');
    return groups.data
      .map((group) => ({ groupId: group.consumer_group_id, state: group.state as GroupState }))
      .sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
  }

  /** GROUP_ID_NOT_FOUND for a group that does not exist (as Kafka 4's admin client). */
  async describeGroups(groupIds: readonly string[]): Promise<GroupDescription[]> {
    return forEach(groupIds, async (groupId) => {
      const path = `/consumer-groups/${segment(groupId)}`;
      const [group, consumers] = await Promise.all([
        this.#get<ConsumerGroupData>(path),
        this.#get<ResourceList<ConsumerData>>(`${path}/consumers`),
      ]);
      const members = await Promise.all(
        consumers.data.map((consumer) =>
          this.#member(`${path}/consumers/${segment(consumer.consumer_id)}`, consumer),
        ),
      );
      return {
        groupId: group.consumer_group_id,
        state: group.state as GroupState,
        partitionAssignor: group.partition_assignor,
        coordinator: idOfLink(group.coordinator),
        members: members.filter((member): member is MemberDescription => member !== null),
      };
    });
  }

  /** Deletes groups without members, with their committed offsets (NON_EMPTY_GROUP otherwise). */
  async deleteGroups(groupIds: readonly string[]): Promise<void> {
    await forEach(groupIds, async (groupId) =>
      this.#rest.send('DELETE', await this.#rest.clusterPath(`/consumer-groups/${segment(groupId)}`)),
    );
  }

  /** The group's committed offsets with the partitions' log end offsets and lag, by topic and partition. */
  async listConsumerGroupOffsets(groupId: string): Promise<GroupOffset[]> {
    const lags = await this.#get<ResourceList<ConsumerLagData>>(`/consumer-groups/${segment(groupId)}/lags`);
    return lags.data.map((lag) => ({
      topic: lag.topic_name,
      partition: lag.partition_id,
      offset: lag.current_offset,
      logEndOffset: lag.log_end_offset,
      lag: lag.lag,
    }));
  }

  /** Commits offsets for a group without members (kafka-consumer-groups --reset-offsets). */
  async alterConsumerGroupOffsets(groupId: string, offsets: readonly OffsetToCommit[]): Promise<void> {
    await this.#rest.send(
      'POST',
      await this.#rest.clusterPath(`/consumer-groups/${segment(groupId)}/offsets`),
      {
        offsets: offsets.map((o) => ({ topic_name: o.topic, partition_id: o.partition, offset: o.offset })),
      },
    );
  }

  /** Each partition's earliest offset (log start) or latest (high watermark), in the order asked. */
  async listOffsets(requests: readonly ListOffsetsRequest[]): Promise<ListedOffset[]> {
    await this.#rest.clusterPath(); // the first answer teaches the brokers to fail over to
    return forEach(requests, async ({ topic, partition, spec }) => {
      // REST v3 has no partition offsets; v2's GET .../offsets answers both ends.
      const answer = (await this.#rest.send(
        'GET',
        `/topics/${segment(topic)}/partitions/${segment(partition)}/offsets`,
      )) as { beginning_offset: number; end_offset: number };
      return { topic, partition, offset: spec === 'earliest' ? answer.beginning_offset : answer.end_offset };
    });
  }

  /** The ACLs each filter matches, in the order asked (an ACL matched by several filters: once per filter). */
  async describeAcls(filter: AclBindingFilter = {}): Promise<AclDescription[]> {
    const acls = await this.#get<ResourceList<AclData>>(`/acls${aclFilterQuery(filter)}`);
    return acls.data.map(aclDescription);
  }

  /** Creates the ACLs, all or (on a refusal) none; an ACL that exists already is left as it is. */
  async createAcls(acls: readonly AclDescription[]): Promise<void> {
    await this.#rest.send('POST', await this.#rest.clusterPath('/acls:batch'), {
      data: acls.map((acl) => ({
        resource_type: acl.resourceType,
        resource_name: acl.resourceName,
        pattern_type: acl.patternType,
        principal: acl.principal,
        host: acl.host,
        operation: acl.operation,
        permission: acl.permissionType,
      })),
    });
  }

  /** Deletes every ACL each filter matches; the ACLs deleted (none twice). Repeating a delete is harmless. */
  async deleteAcls(filters: readonly AclBindingFilter[]): Promise<AclDescription[]> {
    const deleted: AclDescription[] = [];
    for (const filter of filters) {
      const answer = (await this.#rest.send(
        'DELETE',
        await this.#rest.clusterPath(`/acls${aclFilterQuery(filter)}`),
      )) as ResourceList<AclData> | null;
      deleted.push(...(answer?.data ?? []).map(aclDescription));
    }
    return deleted;
  }

  /**
   * The SCRAM credentials of `users` (every user with one when omitted). A user asked by name that has
   * none is RESOURCE_NOT_FOUND, as Kafka's describeUserScramCredentials.
   */
  async describeUserScramCredentials(users?: readonly string[]): Promise<UserScramCredentials[]> {
    const query =
      users === undefined || users.length === 0
        ? ''
        : `?${new URLSearchParams(users.map((user): [string, string] => ['user', user])).toString()}`;
    let answer: ResourceList<{ user: string; credentials: UserScramCredentials['credentials'] }>;
    try {
      answer = await this.#get(`/user-scram-credentials${query}`);
    } catch (error) {
      if (error instanceof RestError && error.status === 404)
        throw new KafkaError('RESOURCE_NOT_FOUND', error.message, { cause: error });
      throw error;
    }
    return answer.data.map((entry) => ({
      user: entry.user,
      credentials: entry.credentials.map(({ mechanism, iterations }) => ({ mechanism, iterations })),
    }));
  }

  /** Upserts and deletes SCRAM credentials at once (the node salts and hashes the passwords). */
  async alterUserScramCredentials(
    upsertions: readonly ScramUpsertion[],
    deletions: readonly ScramDeletion[] = [],
  ): Promise<void> {
    await this.#rest.send('POST', await this.#rest.clusterPath('/user-scram-credentials:alter'), {
      upsertions: upsertions.map((upsertion) => ({
        user: upsertion.user,
        mechanism: upsertion.mechanism,
        password: upsertion.password,
        ...(upsertion.iterations !== undefined && { iterations: upsertion.iterations }),
      })),
      deletions: deletions.map(({ user, mechanism }) => ({ user, mechanism })),
    });
  }

  /** Every user entity with a quota (user null: the default of every user). */
  async describeClientQuotas(): Promise<ClientQuotaEntry[]> {
    const answer = await this.#get<ResourceList<ClientQuotaEntry>>('/client-quotas');
    return answer.data.map(({ user, quotas }) => ({ user, quotas }));
  }

  /** Sets (a number) and removes (null) users' quotas. */
  async alterClientQuotas(alterations: readonly ClientQuotaAlteration[]): Promise<void> {
    await this.#rest.send('POST', await this.#rest.clusterPath('/client-quotas:alter'), {
      data: alterations.map(({ user, quotas }) => ({ user, quotas })),
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#rest.close();
    await this.#connections.close();
  }

  async #get<T>(suffix: string): Promise<T> {
    return (await this.#rest.send('GET', await this.#rest.clusterPath(suffix))) as T;
  }

  /** A member and its assignment; null when it left between the two requests. */
  async #member(path: string, consumer: ConsumerData): Promise<MemberDescription | null> {
    let assignments: ResourceList<AssignmentData>;
    try {
      assignments = await this.#get<ResourceList<AssignmentData>>(`${path}/assignments`);
    } catch (error) {
      if (error instanceof RestError && error.status === 404) return null;
      throw error;
    }
    return {
      memberId: consumer.consumer_id,
      groupInstanceId: consumer.instance_id,
      clientId: consumer.client_id,
      host: consumer.host ?? '',
      assignment: assignments.data.map((a) => ({ topic: a.topic_name, partition: a.partition_id })),
    };
  }
}
