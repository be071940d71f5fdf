// The node configs this platform knows: Kafka's names, types and defaults (KafkaConfig / KRaftConfigs /
// QuorumConfig / ServerLogConfigs as of Kafka 3.9-4.0) unless a comment says otherwise, and the layout of
// the local development cluster that `npm run cluster` starts.

export type ConfigKeyType = 'int' | 'long' | 'double' | 'boolean' | 'string' | 'list';

export interface ConfigKeyDefinition {
  readonly name: string;
  readonly type: ConfigKeyType;
  /** The default as a string; null = none (the key is optional, or required where config.ts says so). */
  readonly defaultValue: string | null;
  /** Bounds of numeric types, inclusive. */
  readonly atLeast?: number;
  readonly atMost?: number;
  /**
   * An input-only key folded into another field (log.retention.hours into logRetentionMs, log.dir into
   * logDirs, broker.id into nodeId): accepted, but not a field of NodeConfig and not described.
   */
  readonly alias?: true;
  readonly doc: string;
}

const int32Max = 0x7fff_ffff;

const definitions: readonly ConfigKeyDefinition[] = [
  // --- Identity and roles (KRaft) ------------------------------------------------------------------
  {
    name: 'node.id',
    type: 'int',
    defaultValue: null,
    atLeast: 1,
    atMost: int32Max,
    doc: "This node's id (required; 0 is reserved)",
  },
  {
    name: 'broker.id',
    type: 'int',
    defaultValue: null,
    atLeast: 1,
    atMost: int32Max,
    alias: true,
    doc: 'Old name of node.id; must match it if both are set',
  },
  { name: 'process.roles', type: 'list', defaultValue: null, doc: 'broker, controller or both (required)' },
  {
    name: 'controller.quorum.voters',
    type: 'list',
    defaultValue: null,
    doc: 'id@host:port of every controller, at its INTERNAL listener (required)',
  },
  {
    name: 'controller.listener.names',
    type: 'list',
    defaultValue: 'INTERNAL',
    doc: 'Ours: controller traffic uses the INTERNAL listener (Kafka: required, no default)',
  },
  {
    name: 'inter.broker.listener.name',
    type: 'string',
    defaultValue: 'INTERNAL',
    doc: 'The listener this node dials on other brokers: INTERNAL or a named internal listener',
  },
  {
    name: 'listeners',
    type: 'list',
    defaultValue: null,
    doc: 'CLIENT://host:port,INTERNAL://host:port (required), PLAINTEXT://host:port for Kafka clients, then any named internal listeners',
  },
  {
    name: 'advertised.listeners',
    type: 'list',
    defaultValue: null,
    doc: 'What other nodes and clients dial; defaults to listeners, listener by listener',
  },
  {
    name: 'log.dirs',
    type: 'list',
    defaultValue: null,
    doc: 'Data directories; the first holds the metadata log unless metadata.log.dir is set',
  },
  {
    name: 'log.dir',
    type: 'string',
    defaultValue: '/tmp/kafka-logs',
    alias: true,
    doc: 'Used when log.dirs is not set',
  },
  {
    name: 'metadata.log.dir',
    type: 'string',
    defaultValue: null,
    doc: 'Where the metadata log lives (default: the first of log.dirs)',
  },
  {
    name: 'cluster.id',
    type: 'string',
    defaultValue: null,
    doc: 'Ours (Kafka: kafka-storage format -t): formats empty log dirs; checked against meta.properties',
  },
  {
    name: 'broker.rack',
    type: 'string',
    defaultValue: null,
    doc: 'Rack of this broker, for rack-aware replica placement',
  },
  {
    name: 'log.level',
    type: 'string',
    defaultValue: 'info',
    doc: 'Ours: fatal, error, warn, info, debug, trace or silent',
  },

  // --- Topic defaults and the partition log ---------------------------------------------------------
  {
    name: 'num.partitions',
    type: 'int',
    defaultValue: '1',
    atLeast: 1,
    atMost: int32Max,
    doc: 'Partitions of a new topic',
  },
  {
    name: 'default.replication.factor',
    type: 'int',
    defaultValue: '1',
    atLeast: 1,
    atMost: 32767,
    doc: 'Replicas of a new topic',
  },
  {
    name: 'min.insync.replicas',
    type: 'int',
    defaultValue: '1',
    atLeast: 1,
    atMost: int32Max,
    doc: 'ISR size below which acks=all produce fails',
  },
  {
    name: 'unclean.leader.election.enable',
    type: 'boolean',
    defaultValue: 'false',
    doc: 'Elect an out-of-sync replica as a last resort (loses data)',
  },
  {
    name: 'auto.create.topics.enable',
    type: 'boolean',
    defaultValue: 'true',
    doc: 'Create a topic on first produce or metadata request',
  },
  { name: 'delete.topic.enable', type: 'boolean', defaultValue: 'true', doc: 'Allow deleting topics' },
  {
    name: 'log.retention.ms',
    type: 'long',
    defaultValue: null,
    atLeast: -1,
    doc: 'Time retention; -1 = none; wins over minutes and hours',
  },
  {
    name: 'log.retention.minutes',
    type: 'int',
    defaultValue: null,
    atLeast: -1,
    alias: true,
    doc: 'Used when log.retention.ms is not set',
  },
  {
    name: 'log.retention.hours',
    type: 'int',
    defaultValue: '168',
    atLeast: -1,
    alias: true,
    doc: 'Used when neither ms nor minutes is set',
  },
  {
    name: 'log.retention.bytes',
    type: 'long',
    defaultValue: '-1',
    doc: 'Size retention per partition; -1 = none',
  },
  {
    name: 'log.segment.bytes',
    type: 'int',
    defaultValue: '1073741824',
    atLeast: 14,
    atMost: int32Max,
    doc: 'Segment file size',
  },
  {
    name: 'log.roll.ms',
    type: 'long',
    defaultValue: null,
    atLeast: 1,
    doc: 'Roll a segment after this long; wins over log.roll.hours',
  },
  {
    name: 'log.roll.hours',
    type: 'int',
    defaultValue: '168',
    atLeast: 1,
    alias: true,
    doc: 'Used when log.roll.ms is not set',
  },
  {
    name: 'log.retention.check.interval.ms',
    type: 'long',
    defaultValue: '300000',
    atLeast: 1,
    doc: 'How often retention runs',
  },
  {
    name: 'log.segment.delete.delay.ms',
    type: 'long',
    defaultValue: '60000',
    atLeast: 0,
    doc: "Delay before a deleted segment's files are removed",
  },
  // Kafka's defaults are "never fsync" (Long.MAX_VALUE / null). Ours differ (design §4): unset = fsync
  // before a batch counts towards acks=all (group commit); setting either relaxes that.
  {
    name: 'log.flush.interval.messages',
    type: 'long',
    defaultValue: null,
    atLeast: 1,
    doc: 'Ours: unset = fsync before acks; else fsync every N messages',
  },
  {
    name: 'log.flush.interval.ms',
    type: 'long',
    defaultValue: null,
    atLeast: 0,
    doc: 'Ours: unset = fsync before acks; else fsync at least every N ms',
  },
  {
    name: 'message.max.bytes',
    type: 'int',
    defaultValue: '1048588',
    atLeast: 0,
    atMost: int32Max,
    doc: 'Largest record batch',
  },

  // --- Log cleaner (compacted topics) ---------------------------------------------------------------
  {
    name: 'log.cleanup.policy',
    type: 'list',
    defaultValue: 'delete',
    doc: 'cleanup.policy of topics that do not set it: delete, compact or both',
  },
  {
    name: 'log.cleaner.enable',
    type: 'boolean',
    defaultValue: 'true',
    doc: 'Run the log cleaner (compacted topics keep the latest record of each key)',
  },
  {
    name: 'log.cleaner.threads',
    type: 'int',
    defaultValue: '1',
    atLeast: 0,
    atMost: int32Max,
    doc: 'Ours: one cleaner runs whatever the number above 0; 0 runs none',
  },
  {
    name: 'log.cleaner.backoff.ms',
    type: 'long',
    defaultValue: '15000',
    atLeast: 0,
    doc: 'How long the cleaner sleeps when no log needs cleaning',
  },
  {
    name: 'log.cleaner.dedupe.buffer.size',
    type: 'long',
    defaultValue: '134217728',
    atLeast: 1,
    doc: 'Memory of the offset map (keys of the dirty section) of one cleaning round',
  },
  {
    name: 'log.cleaner.delete.retention.ms',
    type: 'long',
    defaultValue: '86400000',
    atLeast: 0,
    doc: 'delete.retention.ms of topics that do not set it: how long tombstones stay',
  },
  {
    name: 'log.cleaner.min.compaction.lag.ms',
    type: 'long',
    defaultValue: '0',
    atLeast: 0,
    doc: 'min.compaction.lag.ms of topics that do not set it',
  },
  {
    name: 'log.cleaner.max.compaction.lag.ms',
    type: 'long',
    defaultValue: '9223372036854775807',
    atLeast: 1,
    doc: 'max.compaction.lag.ms of topics that do not set it',
  },
  {
    name: 'log.cleaner.min.cleanable.ratio',
    type: 'double',
    defaultValue: '0.5',
    atLeast: 0,
    atMost: 1,
    doc: 'min.cleanable.dirty.ratio of topics that do not set it',
  },

  // --- Replication ----------------------------------------------------------------------------------
  {
    name: 'replica.lag.time.max.ms',
    type: 'long',
    defaultValue: '30000',
    atLeast: 1,
    doc: 'A follower not caught up for this long leaves the ISR',
  },
  {
    name: 'replica.silence.time.max.ms',
    type: 'long',
    defaultValue: '0',
    atLeast: 0,
    doc: 'A follower that is behind and whose broker sent no fetch for this long leaves the ISR (0: off, as Kafka)',
  },
  {
    name: 'replica.fetch.max.bytes',
    type: 'int',
    defaultValue: '1048576',
    atLeast: 0,
    atMost: int32Max,
    doc: 'Bytes per partition per follower fetch',
  },
  {
    name: 'replica.fetch.min.bytes',
    type: 'int',
    defaultValue: '1',
    atLeast: 1,
    atMost: int32Max,
    doc: 'A follower fetch waits for this many bytes',
  },
  {
    name: 'replica.fetch.wait.max.ms',
    type: 'int',
    defaultValue: '500',
    atLeast: 0,
    atMost: int32Max,
    doc: '... or this long',
  },

  // --- Broker lease ---------------------------------------------------------------------------------
  {
    name: 'broker.heartbeat.interval.ms',
    type: 'int',
    defaultValue: '2000',
    atLeast: 1,
    atMost: int32Max,
    doc: 'Broker heartbeat to the controller',
  },
  {
    name: 'broker.session.timeout.ms',
    type: 'int',
    defaultValue: '9000',
    atLeast: 1,
    atMost: int32Max,
    doc: 'A broker without heartbeat for this long is fenced',
  },
  {
    name: 'initial.broker.registration.timeout.ms',
    type: 'int',
    defaultValue: '60000',
    atLeast: 1,
    atMost: int32Max,
    doc: 'Give up start-up if not registered by then',
  },

  // --- Metadata quorum (Raft) -----------------------------------------------------------------------
  {
    name: 'controller.quorum.election.timeout.ms',
    type: 'int',
    defaultValue: '1000',
    atLeast: 1,
    atMost: int32Max,
    doc: 'Election timeout (randomized up to 2x)',
  },
  {
    name: 'controller.quorum.fetch.timeout.ms',
    type: 'int',
    defaultValue: '2000',
    atLeast: 1,
    atMost: int32Max,
    doc: 'No contact with the leader for this long starts an election',
  },
  {
    name: 'controller.quorum.election.backoff.max.ms',
    type: 'int',
    defaultValue: '1000',
    atLeast: 0,
    atMost: int32Max,
    doc: 'Max backoff before a new election',
  },
  {
    name: 'controller.quorum.request.timeout.ms',
    type: 'int',
    defaultValue: '2000',
    atLeast: 1,
    atMost: int32Max,
    doc: 'Raft request timeout',
  },
  {
    name: 'controller.quorum.retry.backoff.ms',
    type: 'int',
    defaultValue: '20',
    atLeast: 0,
    atMost: int32Max,
    doc: 'Backoff before retrying a failed Raft request',
  },
  {
    name: 'controller.quorum.append.linger.ms',
    type: 'int',
    defaultValue: '25',
    atLeast: 0,
    atMost: int32Max,
    doc: 'How long the leader batches metadata appends',
  },

  // --- Metadata log and snapshots -------------------------------------------------------------------
  {
    name: 'metadata.log.segment.bytes',
    type: 'int',
    defaultValue: '1073741824',
    atLeast: 12,
    atMost: int32Max,
    doc: 'Metadata log segment size',
  },
  {
    name: 'metadata.log.segment.ms',
    type: 'long',
    defaultValue: '604800000',
    atLeast: 1,
    doc: 'Roll a metadata log segment after this long',
  },
  {
    name: 'metadata.log.max.record.bytes.between.snapshots',
    type: 'long',
    defaultValue: '20971520',
    atLeast: 1,
    doc: 'Snapshot after this many new bytes of metadata log',
  },
  {
    name: 'metadata.log.max.records.between.snapshots',
    type: 'int',
    defaultValue: '10000',
    atLeast: 1,
    atMost: int32Max,
    doc: 'Ours: ... or after this many new records',
  },
  {
    name: 'metadata.log.max.snapshot.interval.ms',
    type: 'long',
    defaultValue: '3600000',
    atLeast: 0,
    doc: 'Snapshot at least this often if anything changed; 0 = never by time',
  },
  {
    name: 'metadata.max.retention.ms',
    type: 'long',
    defaultValue: '604800000',
    atLeast: -1,
    doc: 'Keep metadata log segments behind the latest snapshot this long; -1 = forever',
  },
  {
    name: 'metadata.max.retention.bytes',
    type: 'long',
    defaultValue: '104857600',
    atLeast: -1,
    doc: '... or up to this many bytes; -1 = no limit',
  },

  // --- Consumer groups ------------------------------------------------------------------------------
  {
    name: 'offsets.topic.num.partitions',
    type: 'int',
    defaultValue: '50',
    atLeast: 1,
    atMost: int32Max,
    doc: 'Partitions of the committed-offsets topic',
  },
  {
    name: 'offsets.topic.replication.factor',
    type: 'int',
    defaultValue: '3',
    atLeast: 1,
    atMost: 32767,
    doc: 'Replicas of the committed-offsets topic',
  },
  {
    name: 'offsets.topic.segment.bytes',
    type: 'int',
    defaultValue: '104857600',
    atLeast: 1,
    atMost: int32Max,
    doc: 'segment.bytes of the committed-offsets topic (compacted: only closed segments are cleaned)',
  },
  {
    name: 'offsets.retention.minutes',
    type: 'int',
    defaultValue: '10080',
    atLeast: 1,
    atMost: int32Max,
    doc: 'Committed offsets of an empty group expire after this',
  },
  {
    name: 'group.initial.rebalance.delay.ms',
    type: 'int',
    defaultValue: '3000',
    atLeast: 0,
    atMost: int32Max,
    doc: 'Wait for more members before the first rebalance',
  },
  {
    name: 'group.min.session.timeout.ms',
    type: 'int',
    defaultValue: '6000',
    atLeast: 0,
    atMost: int32Max,
    doc: 'Smallest session timeout a consumer may ask for',
  },
  {
    name: 'group.max.session.timeout.ms',
    type: 'int',
    defaultValue: '1800000',
    atLeast: 0,
    atMost: int32Max,
    doc: 'Largest session timeout a consumer may ask for',
  },

  // --- Authorization (issue 10: src/metadata/authorizer.ts) -----------------------------------------
  {
    name: 'authorizer.class.name',
    type: 'string',
    defaultValue: '',
    doc: 'org.apache.kafka.metadata.authorizer.StandardAuthorizer enforces the ACLs of the metadata log; empty = everyone may do everything',
  },
  {
    name: 'super.users',
    type: 'string',
    defaultValue: null,
    doc: 'Principals allowed everything, separated by semicolons: User:admin;User:ops',
  },
  {
    name: 'allow.everyone.if.no.acl.found',
    type: 'boolean',
    defaultValue: 'false',
    doc: 'With an authorizer: a resource that no ACL names is open to everyone',
  },

  // --- Leadership balance ---------------------------------------------------------------------------
  {
    name: 'auto.leader.rebalance.enable',
    type: 'boolean',
    defaultValue: 'true',
    doc: 'Move leadership back to preferred replicas',
  },
  {
    name: 'leader.imbalance.check.interval.seconds',
    type: 'long',
    defaultValue: '300',
    atLeast: 1,
    doc: 'How often the controller checks leader balance',
  },

  // --- Security: listeners' protocols, TLS (KIP-651 PEM), internal peers ---------------------------
  {
    name: 'listener.security.protocol.map',
    type: 'list',
    defaultValue:
      'CLIENT:PLAINTEXT,INTERNAL:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL',
    doc: 'NAME:PROTOCOL per listener (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL); a named internal listener not listed is PLAINTEXT',
  },
  {
    name: 'ssl.keystore.type',
    type: 'string',
    defaultValue: 'PEM',
    doc: 'PEM only (Kafka: JKS by default; KIP-651 PEM is what this platform reads)',
  },
  {
    name: 'ssl.keystore.location',
    type: 'string',
    defaultValue: null,
    doc: 'A PEM file with the private key and the certificate chain of the SSL listeners',
  },
  {
    name: 'ssl.keystore.certificate.chain',
    type: 'string',
    defaultValue: null,
    doc: 'The certificate chain as PEM text (instead of ssl.keystore.location)',
  },
  {
    name: 'ssl.keystore.key',
    type: 'string',
    defaultValue: null,
    doc: 'The private key as PEM text (instead of ssl.keystore.location)',
  },
  {
    name: 'ssl.key.password',
    type: 'string',
    defaultValue: null,
    doc: 'The password of an encrypted PEM private key',
  },
  { name: 'ssl.truststore.type', type: 'string', defaultValue: 'PEM', doc: 'PEM only' },
  {
    name: 'ssl.truststore.location',
    type: 'string',
    defaultValue: null,
    doc: 'A PEM file of the CA certificates that peers and clients are verified against',
  },
  {
    name: 'ssl.truststore.certificates',
    type: 'string',
    defaultValue: null,
    doc: 'The trusted CA certificates as PEM text (instead of ssl.truststore.location)',
  },
  {
    name: 'ssl.client.auth',
    type: 'string',
    defaultValue: 'none',
    doc: 'none, requested or required: whether SSL listeners ask clients for a certificate (always required on internal listeners)',
  },
  {
    name: 'ssl.enabled.protocols',
    type: 'list',
    defaultValue: 'TLSv1.2,TLSv1.3',
    doc: 'The TLS versions SSL listeners and internal dialers accept',
  },
  {
    name: 'internal.auth.secret',
    type: 'string',
    defaultValue: null,
    doc: 'Ours: a secret every node of the cluster shares; internal connections prove they know it before anything else is read',
  },
  {
    name: 'internal.auth.secret.location',
    type: 'string',
    defaultValue: null,
    doc: 'Ours: a file holding internal.auth.secret',
  },
  // --- Authentication (SASL, client certificates' principals) ------------------------------------
  {
    name: 'sasl.enabled.mechanisms',
    type: 'list',
    defaultValue: 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
    doc:
      'SASL mechanisms of SASL_* listeners (Kafka: GSSAPI; GSSAPI and OAUTHBEARER are not served). PLAIN ' +
      "checks the users' SCRAM credentials",
  },
  {
    name: 'sasl.server.max.receive.size',
    type: 'int',
    defaultValue: '524288',
    atLeast: 1,
    atMost: int32Max,
    doc: 'Largest frame a SASL connection may send before it authenticates',
  },
  {
    name: 'connections.max.reauth.ms',
    type: 'long',
    defaultValue: '0',
    atLeast: 0,
    doc:
      'KIP-368: a SASL session expires after this many ms; the client re-authenticates or its connection ' +
      'closes at its next request (0 = never)',
  },
  {
    name: 'ssl.principal.mapping.rules',
    type: 'string',
    defaultValue: 'DEFAULT',
    doc: "RULE:pattern/replacement/[LU] and DEFAULT, comma-separated: a client certificate's DN to a user name",
  },

  // --- Client API (HTTP) ----------------------------------------------------------------------------
  {
    name: 'socket.request.max.bytes',
    type: 'int',
    defaultValue: '104857600',
    atLeast: 1,
    atMost: int32Max,
    doc: 'Largest request body',
  },
  {
    name: 'consumer.instance.timeout.ms',
    type: 'int',
    defaultValue: '300000',
    atLeast: 1,
    atMost: int32Max,
    doc: 'REST Proxy: idle consumer instances expire',
  },
  {
    name: 'consumer.request.timeout.ms',
    type: 'int',
    defaultValue: '1000',
    atLeast: 0,
    atMost: int32Max,
    doc: 'REST Proxy: default wait of GET records',
  },

  // --- Limits and quotas (every listener) -----------------------------------------------------------
  {
    name: 'max.connections',
    type: 'int',
    defaultValue: String(int32Max),
    atLeast: 0,
    atMost: int32Max,
    doc: 'Open connections per listener; one more is closed at once',
  },
  {
    name: 'max.connections.per.ip',
    type: 'int',
    defaultValue: String(int32Max),
    atLeast: 0,
    atMost: int32Max,
    doc: 'Open connections from one IP per listener (Kafka: across listeners); one more is closed at once',
  },
  {
    name: 'max.connections.per.ip.overrides',
    type: 'string',
    defaultValue: '',
    doc: 'host:count,... in place of max.connections.per.ip for those IPs',
  },
  {
    name: 'connections.max.idle.ms',
    type: 'long',
    defaultValue: '600000',
    atLeast: 1,
    // A socket timeout past Node's timer range would fire at once.
    atMost: int32Max,
    doc: 'A connection with no request for this long is closed (the client API: at most 72 s idle between requests, as before)',
  },
  {
    name: 'http.headers.timeout.ms',
    type: 'int',
    defaultValue: '60000',
    atLeast: 1,
    atMost: int32Max,
    doc: "Ours: an HTTP/1.1 client must send a request's headers within this long (Node's headersTimeout)",
  },
  {
    name: 'http.request.timeout.ms',
    type: 'int',
    defaultValue: '300000',
    atLeast: 1,
    atMost: int32Max,
    doc: "Ours: an HTTP/1.1 client must send a whole request (headers and body) within this long (Node's requestTimeout); an HTTP/2 stream its body",
  },
  {
    name: 'quota.window.num',
    type: 'int',
    defaultValue: '11',
    atLeast: 1,
    atMost: int32Max,
    doc: 'Samples a client quota rate is measured over',
  },
  {
    name: 'quota.window.size.seconds',
    type: 'int',
    defaultValue: '1',
    atLeast: 1,
    atMost: int32Max,
    doc: 'Length of each sample of a client quota rate',
  },
];

/** Every known node config, by name, in name order. */
export const NODE_CONFIG_KEYS: ReadonlyMap<string, ConfigKeyDefinition> = new Map(
  [...definitions]
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((definition) => [definition.name, definition]),
);

/**
 * Kafka settings a Kafka user may carry over that this platform has no use for: accepted with a
 * warning that says so (any other unknown key gets Kafka's "supplied but isn't a known config").
 */
export const IGNORED_KAFKA_KEYS: ReadonlySet<string> = new Set([
  'controller.quorum.bootstrap.servers',
  'group.coordinator.rebalance.protocols',
  'num.io.threads',
  'num.network.threads',
  'num.recovery.threads.per.data.dir',
  'num.replica.fetchers',
  'queued.max.requests',
  'socket.receive.buffer.bytes',
  'socket.send.buffer.bytes',
  'transaction.state.log.min.isr',
  'transaction.state.log.replication.factor',
  'zookeeper.connect',
]);

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * The local development cluster (`npm run cluster`, `npm run node -- --node-id N`): node N serves the
 * client API on 127.0.0.1:808N, the Kafka protocol on 127.0.0.1:909(1+N) (9092, 9093, 9094: so
 * `--bootstrap-server localhost:9092` works as in Kafka's quickstart), internal traffic (Raft,
 * replication) on 127.0.0.1:1909N, and keeps its data in <dataRoot>/node-N. Ports follow that pattern
 * up to 9 nodes.
 */
export const LOCAL_CLUSTER = {
  host: '127.0.0.1',
  clientPortBase: 8080,
  kafkaPortBase: 9091,
  internalPortBase: 19090,
  nodes: 3,
  nodesMax: 9,
  dataRoot: './data',
} as const;

/**
 * What the local profile sets on top of the defaults (besides node.id, roles, listeners, voters and
 * log.dirs): a replicated cluster (RF 3, min ISR 2) with timeouts short enough that failover feels
 * immediate on a laptop. Kafka's own config/server.properties also sets the rebalance delay to 0.
 */
export const LOCAL_CLUSTER_SETTINGS: ReadonlyMap<string, string> = new Map([
  ['num.partitions', '1'],
  ['default.replication.factor', '3'],
  ['min.insync.replicas', '2'],
  ['offsets.topic.replication.factor', '3'],
  ['controller.quorum.election.timeout.ms', '500'],
  ['controller.quorum.fetch.timeout.ms', '1000'],
  ['broker.heartbeat.interval.ms', '250'],
  ['broker.session.timeout.ms', '3000'],
  // A paused or cut-off follower stops holding up acks=all after 1 s, not at its session's expiry.
  ['replica.silence.time.max.ms', '1000'],
  ['group.initial.rebalance.delay.ms', '0'],
  // A laptop cluster restarted node by node should not wait Kafka's 5 minutes to spread leaders again.
  ['leader.imbalance.check.interval.seconds', '10'],
]);
