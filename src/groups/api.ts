// The consumer group API: what a group coordinator serves, and what the client API needs from the node
// (src/http/ports.ts re-exports it). Defined here, below src/http, because src/groups implements it.

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export interface CommittedOffset extends TopicPartition {
  /** -1: nothing committed for this partition. */
  readonly offset: number;
  readonly metadata: string;
}

export interface GroupMembership {
  readonly memberId: string;
  /** The group's generation (epoch) this assignment belongs to; commits must name it. */
  readonly generation: number;
  readonly assignment: readonly TopicPartition[];
}

export interface GroupMemberDescription {
  readonly memberId: string;
  readonly clientId: string;
  readonly host: string;
  readonly assignment: readonly TopicPartition[];
}

export interface GroupDescription {
  readonly groupId: string;
  /** Kafka's classic group states, and Dead (no such group). */
  readonly state: 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';
  readonly generation: number;
  /** The broker coordinating the group. */
  readonly coordinator: number;
  readonly members: readonly GroupMemberDescription[];
  readonly partitionAssignor: string;
}

/**
 * Consumer groups, wherever their coordinator is (the leader of the group's __consumer_offsets partition):
 * membership with server-side assignment, and committed offsets. Failures are KafkaErrors:
 * COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS, NOT_COORDINATOR (retried inside),
 * UNKNOWN_MEMBER_ID (the member must join again), ILLEGAL_GENERATION (a commit of a stale generation),
 * INVALID_GROUP_ID, GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP, INVALID_SESSION_TIMEOUT, REQUEST_TIMED_OUT.
 */
export interface GroupApi {
  /**
   * Joins (memberId null: a new member) or updates a member's subscription. Any change of membership or
   * subscriptions starts a new generation with a new assignment (range assignor) for every member.
   */
  join(request: {
    readonly groupId: string;
    readonly memberId: string | null;
    readonly clientId: string;
    readonly host: string;
    readonly topics: readonly string[];
    readonly sessionTimeoutMs: number;
  }): Promise<GroupMembership>;
  /** Keeps the member's session alive; answers the current generation and the member's assignment. */
  heartbeat(request: { readonly groupId: string; readonly memberId: string }): Promise<GroupMembership>;
  leave(request: { readonly groupId: string; readonly memberId: string }): Promise<void>;
  /**
   * Commits offsets (the next offset to read). A member names its generation; generation -1 with memberId
   * null commits for a group without members (kafka-consumer-groups --reset-offsets, manual assignment).
   * Resolves once the commit is replicated (acks=all on __consumer_offsets).
   */
  commit(request: {
    readonly groupId: string;
    readonly memberId: string | null;
    readonly generation: number;
    readonly offsets: readonly {
      readonly topic: string;
      readonly partition: number;
      readonly offset: number;
      readonly metadata: string;
    }[];
  }): Promise<void>;
  /** Committed offsets: of the given partitions, or (partitions null) every partition with a commit. */
  fetchOffsets(request: {
    readonly groupId: string;
    readonly partitions: readonly TopicPartition[] | null;
    /**
     * Forwarded: the leader epoch of the group's partition the forwarding node saw after its read
     * barrier. A coordinator that knows only an older one answers NOT_COORDINATOR.
     */
    readonly coordinatorEpoch?: number;
  }): Promise<CommittedOffset[]>;
  list(): Promise<readonly { readonly groupId: string; readonly state: GroupDescription['state'] }[]>;
  describe(groupId: string): Promise<GroupDescription>;
  /** Deletes an empty group and its committed offsets (NON_EMPTY_GROUP while it has members). */
  deleteGroup(groupId: string): Promise<void>;
}
