// AdminApi (src/http/ports.ts) over the controller RPCs: every write is decided by the active
// controller, wherever it runs, and answered once this node's image shows it.
import type { KafkaError } from '../common/kafka-errors.ts';
import type { AclBinding, AclEntry } from '../common/security.ts';
import type { AdminApi, ConfigAlteration, CreateTopicRequest, QuorumDescription } from '../http/ports.ts';
import type { AclBindingFilter } from '../metadata/acl-filter.ts';
import type {
  QuotaAlteration,
  ScramDeletion,
  ScramUpsertion,
  UserResult,
} from '../metadata/controller/security-decisions.ts';
import {
  bindingToMessage,
  entryFromMessage,
  filterToMessage,
  itemError,
} from '../metadata/controller/security-rpc.ts';
import type { MetadataImage } from '../metadata/image.ts';
import type { ClientQuotaEntry, UserScramCredentialsDescription } from '../metadata/security-queries.ts';
import {
  describeAcls,
  describeClientQuotas,
  describeScramCredentials,
} from '../metadata/security-queries.ts';
import type { ControllerClient } from './controller-client.ts';
import type { ImageWatch } from './image-watch.ts';
import type { Timers } from '../replication/timers.ts';
import { realTimers } from './real-timers.ts';

export class AdminService implements AdminApi {
  private readonly client: ControllerClient;
  private readonly watch: ImageWatch;
  private readonly timeoutMs: number;
  private readonly timers: Timers;
  private readonly image: () => MetadataImage;

  /**
   * `timers`: the clock of catchUp's deadline (default: the real one); `image`: this node's committed
   * image, which the describe calls read.
   */
  constructor(options: {
    client: ControllerClient;
    watch: ImageWatch;
    timeoutMs: number;
    image: () => MetadataImage;
    timers?: Timers;
  }) {
    this.client = options.client;
    this.image = options.image;
    this.watch = options.watch;
    this.timeoutMs = options.timeoutMs;
    this.timers = options.timers ?? realTimers;
  }

  async createTopic(request: CreateTopicRequest): Promise<void> {
    const response = await this.client.call('create-topic', {
      name: request.name,
      ...(request.partitionsCount !== undefined ? { partitionsCount: request.partitionsCount } : {}),
      ...(request.replicationFactor !== undefined ? { replicationFactor: request.replicationFactor } : {}),
      configs: [...request.configs].map(([name, value]) => ({ name, value })),
      validateOnly: request.validateOnly,
      ...(request.assignments !== undefined
        ? { assignments: request.assignments.map((brokerIds) => ({ brokerIds: [...brokerIds] })) }
        : {}),
    });
    await this.visible(response.offset);
  }

  async deleteTopic(name: string): Promise<void> {
    await this.visible((await this.client.call('delete-topic', { name })).offset);
  }

  async createPartitions(
    name: string,
    partitionsCount: number,
    validateOnly: boolean,
    assignments?: readonly (readonly number[])[],
  ): Promise<void> {
    const response = await this.client.call('create-partitions', {
      name,
      partitionsCount,
      validateOnly,
      ...(assignments !== undefined
        ? { assignments: assignments.map((brokerIds) => ({ brokerIds: [...brokerIds] })) }
        : {}),
    });
    await this.visible(response.offset);
  }

  async alterTopicConfigs(
    name: string,
    alterations: readonly ConfigAlteration[],
    validateOnly: boolean,
  ): Promise<void> {
    const response = await this.client.call('alter-configs', {
      name,
      alterations: alterations.map((alteration) =>
        alteration.value === null
          ? { name: alteration.name }
          : { name: alteration.name, value: alteration.value },
      ),
      validateOnly,
    });
    await this.visible(response.offset);
  }

  async catchUp(timeoutMs: number): Promise<void> {
    const deadline = this.timers.nowMs() + timeoutMs;
    const { offset } = await this.client.call('read-index', {}, timeoutMs);
    await this.watch.waitFor(offset, Math.max(1, deadline - this.timers.nowMs()));
  }

  async describeQuorum(): Promise<QuorumDescription> {
    const response = await this.client.call('describe-quorum', {});
    const replica = (state: (typeof response.voters)[number]) => ({
      replicaId: state.replicaId,
      logEndOffset: state.logEndOffset ?? null,
      lastFetchTimestamp: state.lastFetchTimestamp ?? null,
      lastCaughtUpTimestamp: state.lastCaughtUpTimestamp ?? null,
    });
    return {
      leaderId: response.leaderId,
      leaderEpoch: response.leaderEpoch,
      highWatermark: response.highWatermark,
      voters: response.voters.map(replica),
      observers: response.observers.map(replica),
    };
  }

  async createAcls(bindings: readonly AclBinding[]): Promise<(KafkaError | null)[]> {
    const response = await this.client.call('create-acls', { creations: bindings.map(bindingToMessage) });
    await this.visible(response.offset);
    return response.results.map(itemError);
  }

  async deleteAcls(filters: readonly AclBindingFilter[]): Promise<AclEntry[][]> {
    const response = await this.client.call('delete-acls', { filters: filters.map(filterToMessage) });
    await this.visible(response.offset);
    return response.results.map((result) => result.acls.map(entryFromMessage));
  }

  async describeAcls(filter: AclBindingFilter): Promise<AclEntry[]> {
    return describeAcls(this.image(), filter);
  }

  async alterUserScramCredentials(
    upsertions: readonly ScramUpsertion[],
    deletions: readonly ScramDeletion[],
  ): Promise<UserResult[]> {
    const response = await this.client.call('alter-scram-credentials', {
      upsertions: upsertions.map((upsertion) => ({ ...upsertion })),
      deletions: deletions.map((deletion) => ({ ...deletion })),
    });
    await this.visible(response.offset);
    return response.results.map((result) => ({ user: result.user, error: itemError(result) }));
  }

  async describeUserScramCredentials(
    users: readonly string[] | null,
  ): Promise<UserScramCredentialsDescription[]> {
    return describeScramCredentials(this.image(), users);
  }

  async alterClientQuotas(
    alterations: readonly QuotaAlteration[],
    validateOnly: boolean,
  ): Promise<(KafkaError | null)[]> {
    const response = await this.client.call('alter-client-quotas', {
      entries: alterations.map((alteration) => ({
        ...(alteration.user !== null ? { user: alteration.user } : {}),
        ops: alteration.ops.map((op) =>
          op.value === null ? { key: op.key } : { key: op.key, value: op.value },
        ),
      })),
      validateOnly,
    });
    await this.visible(response.offset);
    return response.results.map(itemError);
  }

  async describeClientQuotas(): Promise<ClientQuotaEntry[]> {
    return describeClientQuotas(this.image());
  }

  private async visible(offset: number | undefined): Promise<void> {
    if (offset !== undefined) await this.watch.waitFor(offset, this.timeoutMs);
  }
}
