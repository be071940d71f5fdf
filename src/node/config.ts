// A node's configuration: Kafka's config names and values, checked and turned into a typed NodeConfig;
// the local-cluster profile. Precedence, lowest first: the local-cluster profile (only without --config)
// < the --config file (properties.ts) < flags (node-args.ts, in argv order). No I/O here.

import type { QuotaWindowConfig } from '../common/client-quotas.ts';
import { type ConnectionLimits, parsePerIpOverrides } from '../common/connection-limits.ts';
import { parsePrincipal, WILDCARD_PRINCIPAL } from '../common/security.ts';
import { STANDARD_AUTHORIZER_CLASS } from '../metadata/authorizer.ts';
import { type NodeId, nodeId } from '../../raft/types.ts';
import { PrincipalMappingError, parsePrincipalMappingRules } from '../common/principal-mapping.ts';
import {
  isSaslMechanism,
  SASL_MECHANISMS,
  type SaslMechanism,
} from '../kafka/server/sasl/sasl-authenticator.ts';
import {
  type ConfigKeyDefinition,
  IGNORED_KAFKA_KEYS,
  LOCAL_CLUSTER,
  LOCAL_CLUSTER_SETTINGS,
  LOG_LEVELS,
  NODE_CONFIG_KEYS,
} from './config-defaults.ts';

export type ProcessRole = 'broker' | 'controller';
export type CleanupPolicy = 'compact' | 'delete';
export type LogLevel = (typeof LOG_LEVELS)[number];
/** Kafka's security protocols, per listener (listener.security.protocol.map). */
export type SecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
export const SECURITY_PROTOCOLS: readonly SecurityProtocol[] = [
  'PLAINTEXT',
  'SSL',
  'SASL_PLAINTEXT',
  'SASL_SSL',
];
/** ssl.client.auth */
export type SslClientAuth = 'none' | 'requested' | 'required';
export type TlsVersion = 'TLSv1.2' | 'TLSv1.3';

/** True for the protocols whose connections are TLS. */
export function usesTls(protocol: SecurityProtocol): boolean {
  return protocol === 'SSL' || protocol === 'SASL_SSL';
}

/**
 * The ssl.* settings (KIP-651 PEM) of one listener: the node-wide keys, each overridden by
 * listener.name.<name>.<key> when given. Values as configured; the PEM files are read at start (src/node).
 */
export interface SslSettings {
  readonly keystoreType: string;
  /** A PEM file with the private key and the certificate chain. */
  readonly keystoreLocation: string | null;
  /** PEM text, instead of keystoreLocation (with keystoreKey). */
  readonly keystoreCertificateChain: string | null;
  readonly keystoreKey: string | null;
  /** Decrypts an encrypted PEM key. */
  readonly keyPassword: string | null;
  readonly truststoreType: string;
  readonly truststoreLocation: string | null;
  /** PEM text, instead of truststoreLocation. */
  readonly truststoreCertificates: string | null;
  readonly clientAuth: SslClientAuth;
  readonly enabledProtocols: readonly TlsVersion[];
}

/** The TLS settings of a listener whose protocol is SSL or SASL_SSL. */
export interface ListenerSsl extends SslSettings {
  readonly listener: string;
  /** The keys given as listener.name.<name>.<key> (errors about them name that key). */
  readonly overridden: ReadonlySet<SslKey>;
}

/** The config key a listener's ssl setting came from (for errors that name it). */
export function sslKeyName(ssl: ListenerSsl, key: SslKey): string {
  return ssl.overridden.has(key) ? `listener.name.${ssl.listener.toLowerCase()}.${key}` : key;
}

/** internal.auth.secret or internal.auth.secret.location (a file, read at start). */
export type InternalAuthSecret =
  | { readonly kind: 'text'; readonly secret: string }
  | { readonly kind: 'file'; readonly location: string };

export interface Endpoint {
  readonly host: string;
  /** 0 = an ephemeral port (tests only): the node learns the real one when it binds. */
  readonly port: number;
}

/**
 * The listeners of a node: the client API (HTTP), the Kafka wire protocol (PLAINTEXT, optional), internal
 * traffic (Raft, replication), and more.
 */
export interface Listeners {
  readonly client: Endpoint;
  /** PLAINTEXT://host:port: Kafka's own clients (src/kafka); null = this node serves no Kafka protocol. */
  readonly kafka: Endpoint | null;
  readonly internal: Endpoint;
  /**
   * More internal listeners, by name (Kafka's named listeners): each serves what INTERNAL serves, so
   * that other brokers can reach this one by another address (inter.broker.listener.name picks which).
   */
  readonly named: ReadonlyMap<string, Endpoint>;
}

export interface NodeConfig {
  // Identity, roles and addresses
  readonly nodeId: NodeId;
  readonly processRoles: ReadonlySet<ProcessRole>;
  /** The controllers, by id, at their (advertised) INTERNAL address, in the order configured. */
  readonly controllerQuorumVoters: ReadonlyMap<NodeId, Endpoint>;
  /** Where this node binds. A host of '' or 0.0.0.0 / :: binds every interface. */
  readonly listeners: Listeners;
  /** Where others reach this node: never a wildcard host. */
  readonly advertisedListeners: Listeners;
  /** Partition data directories (log.dirs, else log.dir). */
  readonly logDirs: readonly string[];
  /** Where the metadata log lives: metadata.log.dir, else logDirs[0]. */
  readonly metadataLogDir: string;
  /** From cluster.id / --cluster-id; null = whatever meta.properties says (see data-dir.ts). */
  readonly clusterId: string | null;
  /** broker.rack */
  readonly rack: string | null;
  /** The listener this node dials on other brokers (replication, forwarded requests, group RPCs). */
  readonly interBrokerListenerName: string;
  readonly logLevel: LogLevel;
  // Topic defaults and the partition log
  readonly numPartitions: number;
  readonly defaultReplicationFactor: number;
  readonly minInsyncReplicas: number;
  readonly uncleanLeaderElectionEnable: boolean;
  readonly autoCreateTopicsEnable: boolean;
  readonly deleteTopicEnable: boolean;
  /** -1 = no time limit. From log.retention.ms, else .minutes, else .hours. */
  readonly logRetentionMs: number;
  /** -1 (any negative) = no size limit. */
  readonly logRetentionBytes: number;
  readonly logSegmentBytes: number;
  /** From log.roll.ms, else log.roll.hours. */
  readonly logRollMs: number;
  readonly logRetentionCheckIntervalMs: number;
  readonly logSegmentDeleteDelayMs: number;
  /** null (the default) = fsync before a batch counts towards acks=all (design §4). */
  readonly logFlushIntervalMessages: number | null;
  readonly logFlushIntervalMs: number | null;
  readonly messageMaxBytes: number;
  // Log cleaner
  /** log.cleanup.policy: the topics' default cleanup.policy. */
  readonly logCleanupPolicy: ReadonlySet<CleanupPolicy>;
  readonly logCleanerEnable: boolean;
  readonly logCleanerThreads: number;
  readonly logCleanerBackoffMs: number;
  readonly logCleanerDedupeBufferSize: number;
  readonly logCleanerDeleteRetentionMs: number;
  readonly logCleanerMinCompactionLagMs: number;
  readonly logCleanerMaxCompactionLagMs: number;
  readonly logCleanerMinCleanableRatio: number;
  // Replication
  readonly replicaLagTimeMaxMs: number;
  readonly replicaSilenceTimeMaxMs: number;
  readonly replicaFetchMaxBytes: number;
  readonly replicaFetchMinBytes: number;
  readonly replicaFetchWaitMaxMs: number;
  // Broker lease
  readonly brokerHeartbeatIntervalMs: number;
  readonly brokerSessionTimeoutMs: number;
  readonly initialBrokerRegistrationTimeoutMs: number;
  // Metadata quorum
  readonly controllerQuorumElectionTimeoutMs: number;
  readonly controllerQuorumFetchTimeoutMs: number;
  readonly controllerQuorumElectionBackoffMaxMs: number;
  readonly controllerQuorumRequestTimeoutMs: number;
  readonly controllerQuorumRetryBackoffMs: number;
  readonly controllerQuorumAppendLingerMs: number;
  // Metadata log and snapshots
  readonly metadataLogSegmentBytes: number;
  readonly metadataLogSegmentMs: number;
  readonly metadataLogMaxRecordBytesBetweenSnapshots: number;
  readonly metadataLogMaxRecordsBetweenSnapshots: number;
  readonly metadataLogMaxSnapshotIntervalMs: number;
  readonly metadataMaxRetentionMs: number;
  readonly metadataMaxRetentionBytes: number;
  // Consumer groups
  readonly offsetsTopicNumPartitions: number;
  readonly offsetsTopicReplicationFactor: number;
  readonly offsetsTopicSegmentBytes: number;
  readonly offsetsRetentionMinutes: number;
  readonly groupInitialRebalanceDelayMs: number;
  readonly groupMinSessionTimeoutMs: number;
  readonly groupMaxSessionTimeoutMs: number;
  // Leadership balance
  readonly autoLeaderRebalanceEnable: boolean;
  readonly leaderImbalanceCheckIntervalSeconds: number;
  // Authorization (node-authorizer.ts builds the Authorizer from them)
  /** authorizer.class.name; null = no authorizer (everything is allowed). */
  readonly authorizerClassName: string | null;
  /** super.users, as `User:<name>` principals. */
  readonly superUsers: readonly string[];
  readonly allowEveryoneIfNoAclFound: boolean;
  // Client API
  readonly socketRequestMaxBytes: number;
  readonly consumerInstanceTimeoutMs: number;
  readonly consumerRequestTimeoutMs: number;
  // Security
  /** Every bound listener's protocol, by listener name (listener.security.protocol.map). */
  readonly listenerSecurityProtocols: ReadonlyMap<string, SecurityProtocol>;
  /** The Kafka protocol's listener: PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL or KAFKA; null = none. */
  readonly kafkaListenerName: string | null;
  /** The node-wide ssl.* settings (before per-listener overrides). */
  readonly ssl: SslSettings;
  /** The resolved TLS settings of each listener whose protocol is SSL or SASL_SSL. */
  readonly listenerSsl: ReadonlyMap<string, ListenerSsl>;
  readonly internalAuthSecret: InternalAuthSecret | null;
  // Limits and quotas
  readonly connectionLimits: ConnectionLimits;
  readonly connectionsMaxIdleMs: number;
  readonly httpHeadersTimeoutMs: number;
  readonly httpRequestTimeoutMs: number;
  readonly quotaWindow: QuotaWindowConfig;
  // Authentication
  readonly saslEnabledMechanisms: readonly SaslMechanism[];
  readonly saslServerMaxReceiveSize: number;
  /** 0 = SASL sessions do not expire. */
  readonly connectionsMaxReauthMs: number;
  readonly sslPrincipalMappingRules: string;
}

/** A bad setting: names the key and the value (null when the key is missing). */
export class ConfigError extends Error {
  readonly key: string;
  readonly value: string | null;
  constructor(key: string, value: string | null, reason: string, message?: string) {
    super(
      message ??
        (value === null
          ? `Missing required configuration ${key}: ${reason}`
          : `Invalid value ${value} for configuration ${key}: ${reason}`),
    );
    this.name = 'ConfigError';
    this.key = key;
    this.value = value;
  }
}

/** A command line that does not parse: the key is 'command line', the value the arguments. */
export function commandLineError(argv: readonly string[], reason: string): ConfigError {
  return new ConfigError('command line', argv.join(' '), reason, `Invalid command line: ${reason}`);
}

// ---------------------------------------------------------------------------------------------------
// Values

const INTEGER = /^[+-]?[0-9]+$/;
const INT_RANGE = [-(2n ** 31n), 2n ** 31n - 1n] as const;
const LONG_RANGE = [-(2n ** 63n), 2n ** 63n - 1n] as const;

/** Kafka's int/long parsing (trimmed), with bounds; longs beyond ±(2^53-1) are clamped to it. */
export function parseInteger(definition: ConfigKeyDefinition, raw: string): number {
  const trimmed = raw.trim();
  const typeName = definition.type === 'int' ? 'INT' : 'LONG';
  const [min, max] = definition.type === 'int' ? INT_RANGE : LONG_RANGE;
  if (!INTEGER.test(trimmed)) throw new ConfigError(definition.name, raw, `Not a number of type ${typeName}`);
  const big = BigInt(trimmed);
  if (big < min || big > max) throw new ConfigError(definition.name, raw, `Not a number of type ${typeName}`);
  if (definition.atLeast !== undefined && big < BigInt(definition.atLeast))
    throw new ConfigError(definition.name, raw, `Value must be at least ${definition.atLeast}`);
  if (definition.atMost !== undefined && big > BigInt(definition.atMost))
    throw new ConfigError(definition.name, raw, `Value must be no more than ${definition.atMost}`);
  const safe = BigInt(Number.MAX_SAFE_INTEGER);
  return Number(big > safe ? safe : big < -safe ? -safe : big);
}

const DECIMAL = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

/** Kafka's double parsing (trimmed), with bounds. */
function parseDouble(definition: ConfigKeyDefinition, raw: string): number {
  const trimmed = raw.trim();
  const value = DECIMAL.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!Number.isFinite(value)) throw new ConfigError(definition.name, raw, 'Not a number of type DOUBLE');
  if (definition.atLeast !== undefined && value < definition.atLeast)
    throw new ConfigError(definition.name, raw, `Value must be at least ${definition.atLeast}`);
  if (definition.atMost !== undefined && value > definition.atMost)
    throw new ConfigError(definition.name, raw, `Value must be no more than ${definition.atMost}`);
  return value;
}

function parseBoolean(key: string, raw: string): boolean {
  const trimmed = raw.trim().toLowerCase();
  if (trimmed === 'true') return true;
  if (trimmed === 'false') return false;
  throw new ConfigError(key, raw, 'Expected value to be either true or false');
}

/** A comma-separated list, trimmed, empty items dropped (Kafka's LIST type). */
function parseList(raw: string): string[] {
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

const WILDCARD_HOSTS: ReadonlySet<string> = new Set(['', '0.0.0.0', '::']);

/** Parses `host:port` or `[ipv6]:port`; the host may be empty (bind every interface). */
function parseHostPort(key: string, raw: string, text: string): Endpoint {
  const match = /^(?:\[([0-9A-Fa-f:.%\w]*)\]|([^\s:[\]]*)):([0-9]+)$/.exec(text);
  if (match === null) throw new ConfigError(key, raw, `'${text}' is not host:port`);
  const port = Number(match[3]);
  if (port > 65535) throw new ConfigError(key, raw, `port ${port} is not in 0..65535`);
  return { host: match[1] ?? match[2] ?? '', port };
}

/** host:port, with IPv6 hosts in brackets. */
export function formatEndpoint(endpoint: Endpoint): string {
  return endpoint.host.includes(':')
    ? `[${endpoint.host}]:${endpoint.port}`
    : `${endpoint.host}:${endpoint.port}`;
}

const LISTENER_NAMES = ['CLIENT', 'INTERNAL'] as const;
/** The Kafka protocol's listener of the local profile, named as in Kafka's default protocol map. */
export const KAFKA_LISTENER_NAME = 'PLAINTEXT';
/** A listener with one of these names serves the Kafka protocol (at most one per node). */
export const KAFKA_LISTENER_NAMES: readonly string[] = [
  'PLAINTEXT',
  'SSL',
  'SASL_PLAINTEXT',
  'SASL_SSL',
  'KAFKA',
];
/** Listeners with a role of their own: any other name is a named internal listener. */
const SPECIAL_LISTENER_NAMES: readonly string[] = [...LISTENER_NAMES, ...KAFKA_LISTENER_NAMES];

/** `NAME://host:port,...`: CLIENT, INTERNAL and more internal listeners, each name at most once. */
function parseListenerList(key: string, raw: string): Map<string, Endpoint> {
  const result = new Map<string, Endpoint>();
  for (const item of parseList(raw)) {
    const match = /^([A-Za-z0-9_-]+):\/\/(.*)$/.exec(item);
    if (match === null) throw new ConfigError(key, raw, `'${item}' is not NAME://host:port`);
    const name = match[1]!.toUpperCase();
    if (result.has(name)) throw new ConfigError(key, raw, `listener ${name} is listed twice`);
    result.set(name, parseHostPort(key, raw, match[2]!));
  }
  return result;
}

export function formatListeners(listeners: Listeners, kafkaName: string = KAFKA_LISTENER_NAME): string {
  return [
    `CLIENT://${formatEndpoint(listeners.client)}`,
    ...(listeners.kafka === null ? [] : [`${kafkaName}://${formatEndpoint(listeners.kafka)}`]),
    `INTERNAL://${formatEndpoint(listeners.internal)}`,
    ...[...listeners.named].map(([name, endpoint]) => `${name}://${formatEndpoint(endpoint)}`),
  ].join(',');
}

/** `id@host:port,...` */
function parseVoters(raw: string): Map<NodeId, Endpoint> {
  const key = 'controller.quorum.voters';
  const result = new Map<NodeId, Endpoint>();
  for (const item of parseList(raw)) {
    const match = /^([0-9]+)@(.+)$/.exec(item);
    if (match === null) throw new ConfigError(key, raw, `'${item}' is not id@host:port`);
    const id = Number(match[1]);
    if (!Number.isSafeInteger(id) || id < 1 || id > 0x7fff_ffff)
      throw new ConfigError(key, raw, `voter id ${match[1]} is not a positive int (0 is reserved)`);
    if (result.has(nodeId(id))) throw new ConfigError(key, raw, `voter ${id} is listed twice`);
    const endpoint = parseHostPort(key, raw, match[2]!);
    if (WILDCARD_HOSTS.has(endpoint.host))
      throw new ConfigError(key, raw, `voter ${id} needs a routable host, not '${endpoint.host}'`);
    if (endpoint.port === 0) throw new ConfigError(key, raw, `voter ${id} needs a port in 1..65535`);
    result.set(nodeId(id), endpoint);
  }
  if (result.size === 0) throw new ConfigError(key, raw, 'at least one voter is needed');
  return result;
}

export function formatVoters(voters: ReadonlyMap<NodeId, Endpoint>): string {
  return [...voters].map(([id, endpoint]) => `${id}@${formatEndpoint(endpoint)}`).join(',');
}

/** URL-safe (the REST API puts it in paths); Kafka's are 22-character base64url UUIDs. */
export function isValidClusterId(id: string): boolean {
  return /^[A-Za-z0-9._-]{1,64}$/.test(id);
}

// ---------------------------------------------------------------------------------------------------
// Building a NodeConfig from the merged key/value map

/** The typed readers over the merged settings; `explicit` tells whether a key was set at all. */
class Settings {
  readonly values: ReadonlyMap<string, string>;
  constructor(values: ReadonlyMap<string, string>) {
    this.values = values;
  }
  private definition(key: string): ConfigKeyDefinition {
    const definition = NODE_CONFIG_KEYS.get(key);
    if (definition === undefined) throw new Error(`bug: unknown config key ${key}`);
    return definition;
  }
  explicit(key: string): boolean {
    return this.values.has(key);
  }
  raw(key: string): string | null {
    return this.values.get(key) ?? this.definition(key).defaultValue;
  }
  required(key: string, hint: string): string {
    const raw = this.raw(key);
    if (raw === null || raw.trim() === '') throw new ConfigError(key, null, hint);
    return raw;
  }
  integer(key: string): number {
    const raw = this.raw(key);
    if (raw === null) throw new Error(`bug: ${key} has no default`);
    return parseInteger(this.definition(key), raw);
  }
  nullableInteger(key: string): number | null {
    const raw = this.raw(key);
    return raw === null || raw.trim() === '' ? null : parseInteger(this.definition(key), raw);
  }
  double(key: string): number {
    const raw = this.raw(key);
    if (raw === null) throw new Error(`bug: ${key} has no default`);
    return parseDouble(this.definition(key), raw);
  }
  boolean(key: string): boolean {
    return parseBoolean(key, this.raw(key) ?? 'false');
  }
  nullableString(key: string): string | null {
    const raw = this.raw(key)?.trim() ?? '';
    return raw === '' ? null : raw;
  }
}

function parseSaslMechanisms(settings: Settings): SaslMechanism[] {
  const key = 'sasl.enabled.mechanisms';
  const raw = settings.raw(key) ?? '';
  const mechanisms: SaslMechanism[] = [];
  for (const item of parseList(raw)) {
    const name = item.toUpperCase();
    if (!isSaslMechanism(name))
      throw new ConfigError(
        key,
        raw,
        `mechanism ${item} is not served (served: ${SASL_MECHANISMS.join(', ')})`,
      );
    if (!mechanisms.includes(name)) mechanisms.push(name);
  }
  return mechanisms;
}

function checkPrincipalMappingRules(settings: Settings): string {
  const key = 'ssl.principal.mapping.rules';
  const raw = settings.raw(key) ?? 'DEFAULT';
  try {
    parsePrincipalMappingRules(raw);
  } catch (error) {
    if (error instanceof PrincipalMappingError) throw new ConfigError(key, raw, error.message);
    throw error;
  }
  return raw.trim();
}

/** log.cleanup.policy: compact, delete, both (Kafka's ValidList), or none (neither cleans nor deletes). */
function parseCleanupPolicy(settings: Settings): Set<CleanupPolicy> {
  const key = 'log.cleanup.policy';
  const raw = settings.raw(key) ?? 'delete';
  const policies = new Set<CleanupPolicy>();
  for (const item of parseList(raw)) {
    if (item !== 'compact' && item !== 'delete')
      throw new ConfigError(key, raw, 'String must be one of: compact, delete');
    policies.add(item);
  }
  return policies;
}

/** authorizer.class.name: empty = no authorizer; Kafka's StandardAuthorizer is the one served. */
export function parseAuthorizerClassName(raw: string | null): string | null {
  if (raw === null) return null;
  if (raw !== STANDARD_AUTHORIZER_CLASS)
    throw new ConfigError(
      'authorizer.class.name',
      raw,
      `the only authorizer is ${STANDARD_AUTHORIZER_CLASS} (or leave it empty for none)`,
    );
  return raw;
}

/** super.users: Kafka's `User:alice;User:bob`. */
export function parseSuperUsers(raw: string | null): string[] {
  if (raw === null) return [];
  return raw
    .split(';')
    .map((item) => item.trim())
    .filter((item) => item.length > 0)
    .map((item) => {
      if (parsePrincipal(item) === null || item === WILDCARD_PRINCIPAL)
        throw new ConfigError('super.users', raw, `'${item}' is not a principal User:<name>`);
      return item;
    });
}

function parseRoles(settings: Settings): Set<ProcessRole> {
  const key = 'process.roles';
  const raw = settings.required(key, 'set process.roles=broker,controller (or broker, or controller)');
  const roles = new Set<ProcessRole>();
  for (const role of parseList(raw)) {
    if (role !== 'broker' && role !== 'controller')
      throw new ConfigError(key, raw, `unknown role '${role}': the roles are broker and controller`);
    if (roles.has(role)) throw new ConfigError(key, raw, `duplicate role ${role}`);
    roles.add(role);
  }
  if (roles.size === 0) throw new ConfigError(key, raw, 'give broker, controller or both');
  return roles;
}

function parseNodeId(settings: Settings): NodeId {
  const id = settings.nullableInteger('node.id');
  const brokerId = settings.nullableInteger('broker.id');
  if (id !== null && brokerId !== null && id !== brokerId)
    throw new ConfigError('broker.id', settings.raw('broker.id'), `must match node.id (${id}) if set`);
  const resolved = id ?? brokerId;
  if (resolved === null)
    throw new ConfigError('node.id', null, 'every node needs a unique id >= 1 (0 is reserved)');
  return nodeId(resolved);
}

function parseListenerSettings(settings: Settings): {
  listeners: Listeners;
  advertised: Listeners;
  kafkaName: string | null;
  bound: ReadonlyMap<string, Endpoint>;
} {
  const raw = settings.required('listeners', 'set listeners=CLIENT://host:port,INTERNAL://host:port');
  const bound = parseListenerList('listeners', raw);
  for (const name of LISTENER_NAMES)
    if (!bound.has(name))
      throw new ConfigError(
        'listeners',
        raw,
        `listener ${name} is missing: give CLIENT://host:port,INTERNAL://host:port`,
      );
  const named = new Map([...bound].filter(([name]) => !SPECIAL_LISTENER_NAMES.includes(name)));
  const kafkaNames = [...bound.keys()].filter((name) => KAFKA_LISTENER_NAMES.includes(name));
  if (kafkaNames.length > 1)
    throw new ConfigError(
      'listeners',
      raw,
      `${kafkaNames.join(' and ')} are both Kafka listeners: give at most one of ${KAFKA_LISTENER_NAMES.join(', ')}`,
    );
  const kafkaName = kafkaNames[0] ?? null;
  const listeners: Listeners = {
    client: bound.get('CLIENT')!,
    kafka: kafkaName === null ? null : bound.get(kafkaName)!,
    internal: bound.get('INTERNAL')!,
    named,
  };
  const taken = new Map<string, string>();
  for (const [name, endpoint] of bound) {
    if (endpoint.port === 0) continue;
    const address = formatEndpoint(endpoint);
    const other = taken.get(address);
    if (other !== undefined)
      throw new ConfigError('listeners', raw, `${other} and ${name} need different ports`);
    taken.set(address, name);
  }
  const advertisedRaw = settings.nullableString('advertised.listeners');
  const given = advertisedRaw === null ? new Map() : parseListenerList('advertised.listeners', advertisedRaw);
  for (const name of given.keys())
    if (!bound.has(name))
      throw new ConfigError(
        'advertised.listeners',
        advertisedRaw,
        `listener ${name} is not in listeners: only a listener this node binds can be advertised`,
      );
  const advertised: Listeners = {
    client: given.get('CLIENT') ?? listeners.client,
    kafka: (kafkaName === null ? undefined : given.get(kafkaName)) ?? listeners.kafka,
    internal: given.get('INTERNAL') ?? listeners.internal,
    named: new Map([...named].map(([name, endpoint]) => [name, given.get(name) ?? endpoint])),
  };
  for (const name of bound.keys()) {
    const endpoint =
      name === 'CLIENT'
        ? advertised.client
        : name === 'INTERNAL'
          ? advertised.internal
          : name === kafkaName
            ? advertised.kafka!
            : advertised.named.get(name)!;
    if (!WILDCARD_HOSTS.has(endpoint.host)) continue;
    if (given.has(name))
      throw new ConfigError(
        'advertised.listeners',
        advertisedRaw,
        `${name} cannot advertise the non-routable address '${endpoint.host}'`,
      );
    throw new ConfigError(
      'advertised.listeners',
      advertisedRaw,
      `listener ${name} binds to '${endpoint.host}' (every interface), so it must be advertised explicitly: ` +
        `set advertised.listeners=${name}://<routable host>:${endpoint.port}`,
    );
  }
  return { listeners, advertised, kafkaName, bound };
}

function parseLogDirs(settings: Settings, warnings: string[]): string[] {
  const listed = settings.nullableString('log.dirs');
  if (listed !== null) {
    const dirs = parseList(listed);
    const raw = settings.raw('log.dirs');
    if (dirs.length === 0) throw new ConfigError('log.dirs', raw, 'no directory given');
    if (new Set(dirs).size !== dirs.length)
      throw new ConfigError('log.dirs', raw, 'a directory is listed twice');
    return dirs;
  }
  const single = settings.nullableString('log.dir');
  if (single === null) throw new ConfigError('log.dirs', null, 'give at least one directory');
  if (!settings.explicit('log.dir'))
    warnings.push(`log.dirs is not set: using Kafka's default ${single}, which the OS may clear on reboot`);
  return [single];
}

function parseLogLevel(settings: Settings): LogLevel {
  const raw = settings.raw('log.level') ?? 'info';
  const level = LOG_LEVELS.find((candidate) => candidate === raw.trim().toLowerCase());
  if (level === undefined)
    throw new ConfigError('log.level', raw, `String must be one of: ${LOG_LEVELS.join(', ')}`);
  return level;
}

function parseClusterId(settings: Settings): string | null {
  const id = settings.nullableString('cluster.id');
  if (id !== null && !isValidClusterId(id))
    throw new ConfigError('cluster.id', id, 'use 1 to 64 characters among A-Z a-z 0-9 . _ -');
  return id;
}

// ---------------------------------------------------------------------------------------------------
// Security: listener.security.protocol.map, ssl.* (node-wide and per listener), internal.auth.secret

/** The ssl.* keys a listener may override as listener.name.<lower-case name>.<key>. */
export const SSL_KEYS = [
  'ssl.keystore.type',
  'ssl.keystore.location',
  'ssl.keystore.certificate.chain',
  'ssl.keystore.key',
  'ssl.key.password',
  'ssl.truststore.type',
  'ssl.truststore.location',
  'ssl.truststore.certificates',
  'ssl.client.auth',
  'ssl.enabled.protocols',
] as const;
export type SslKey = (typeof SSL_KEYS)[number];
const LISTENER_OVERRIDE = /^listener\.name\.([a-z0-9_-]+)\.(ssl\..+)$/;

/** `listener.name.<name>.<key>` for a key a listener may override, else null. */
function listenerOverride(key: string): { listener: string; key: SslKey } | null {
  const match = LISTENER_OVERRIDE.exec(key);
  const sslKey = SSL_KEYS.find((candidate) => candidate === match?.[2]);
  return match === null || sslKey === undefined ? null : { listener: match[1]!.toUpperCase(), key: sslKey };
}

/** Keys whose values are secret: never described (Kafka's PASSWORD type shows null). */
const SENSITIVE_KEYS: ReadonlySet<string> = new Set([
  'ssl.keystore.key',
  'ssl.key.password',
  'internal.auth.secret',
]);

function parseProtocolMap(settings: Settings): Map<string, SecurityProtocol> {
  const key = 'listener.security.protocol.map';
  const defaults = NODE_CONFIG_KEYS.get(key)!.defaultValue!;
  const result = new Map<string, SecurityProtocol>();
  // The given entries are laid over the default map, so that CLIENT:SSL alone is enough.
  for (const raw of [defaults, settings.raw(key) ?? defaults]) {
    const seen = new Set<string>();
    for (const item of parseList(raw)) {
      const match = /^([A-Za-z0-9_-]+):([A-Za-z_]+)$/.exec(item);
      if (match === null) throw new ConfigError(key, raw, `'${item}' is not NAME:PROTOCOL`);
      const name = match[1]!.toUpperCase();
      const protocol = SECURITY_PROTOCOLS.find((candidate) => candidate === match[2]!.toUpperCase());
      if (protocol === undefined)
        throw new ConfigError(
          key,
          raw,
          `unknown security protocol ${match[2]} for ${name}: use one of ${SECURITY_PROTOCOLS.join(', ')}`,
        );
      if (seen.has(name)) throw new ConfigError(key, raw, `listener ${name} is mapped twice`);
      seen.add(name);
      result.set(name, protocol);
    }
  }
  return result;
}

/** Every bound listener's protocol; SASL on an internal listener is refused (peers use TLS or the secret). */
function parseListenerProtocols(
  settings: Settings,
  bound: ReadonlyMap<string, Endpoint>,
  kafkaName: string | null,
): Map<string, SecurityProtocol> {
  const map = parseProtocolMap(settings);
  const result = new Map<string, SecurityProtocol>();
  for (const name of bound.keys()) {
    const protocol = map.get(name) ?? 'PLAINTEXT';
    if (name !== 'CLIENT' && name !== kafkaName && (protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL'))
      throw new ConfigError(
        'listener.security.protocol.map',
        settings.raw('listener.security.protocol.map'),
        `${name} is an internal listener: use PLAINTEXT (with internal.auth.secret) or SSL, not ${protocol}`,
      );
    result.set(name, protocol);
  }
  return result;
}

function parseSslSettings(lookup: (key: SslKey) => { name: string; value: string | null }): SslSettings {
  const text = (key: SslKey): string | null => {
    const value = lookup(key).value?.trim() ?? '';
    return value === '' ? null : value;
  };
  const pemType = (key: SslKey): string => {
    const value = text(key) ?? 'PEM';
    if (value.toUpperCase() !== 'PEM')
      throw new ConfigError(
        lookup(key).name,
        value,
        'only PEM is supported (KIP-651): give PEM files or PEM text (convert a JKS or PKCS12 store with keytool and openssl)',
      );
    return 'PEM';
  };
  const clientAuthRaw = text('ssl.client.auth') ?? 'none';
  const clientAuth = (['none', 'requested', 'required'] as const).find(
    (candidate) => candidate === clientAuthRaw.toLowerCase(),
  );
  if (clientAuth === undefined)
    throw new ConfigError(
      lookup('ssl.client.auth').name,
      clientAuthRaw,
      'String must be one of: none, requested, required',
    );
  const protocolsRaw = text('ssl.enabled.protocols') ?? 'TLSv1.2,TLSv1.3';
  const enabledProtocols: TlsVersion[] = [];
  for (const item of parseList(protocolsRaw)) {
    const version = (['TLSv1.2', 'TLSv1.3'] as const).find((candidate) => candidate === item);
    if (version === undefined)
      throw new ConfigError(
        lookup('ssl.enabled.protocols').name,
        protocolsRaw,
        `${item} is not supported: use TLSv1.2, TLSv1.3`,
      );
    if (!enabledProtocols.includes(version)) enabledProtocols.push(version);
  }
  if (enabledProtocols.length === 0)
    throw new ConfigError(
      lookup('ssl.enabled.protocols').name,
      protocolsRaw,
      'enable TLSv1.2, TLSv1.3 or both',
    );
  // Kafka's PEM rules: the key needs no password when it is not encrypted, and PEM text needs no type.
  const keystoreLocation = text('ssl.keystore.location');
  const keystoreCertificateChain = text('ssl.keystore.certificate.chain');
  const keystoreKey = text('ssl.keystore.key');
  if (keystoreLocation !== null && (keystoreCertificateChain !== null || keystoreKey !== null))
    throw new ConfigError(
      lookup('ssl.keystore.location').name,
      keystoreLocation,
      'give either ssl.keystore.location or ssl.keystore.certificate.chain with ssl.keystore.key, not both',
    );
  if ((keystoreCertificateChain === null) !== (keystoreKey === null)) {
    const missing: SslKey = keystoreKey === null ? 'ssl.keystore.key' : 'ssl.keystore.certificate.chain';
    throw new ConfigError(
      lookup(missing).name,
      null,
      'PEM text needs both the certificate chain and the key',
    );
  }
  const truststoreLocation = text('ssl.truststore.location');
  const truststoreCertificates = text('ssl.truststore.certificates');
  if (truststoreLocation !== null && truststoreCertificates !== null)
    throw new ConfigError(
      lookup('ssl.truststore.location').name,
      truststoreLocation,
      'give either ssl.truststore.location or ssl.truststore.certificates, not both',
    );
  return {
    keystoreType: pemType('ssl.keystore.type'),
    keystoreLocation,
    keystoreCertificateChain,
    keystoreKey,
    keyPassword: text('ssl.key.password'),
    truststoreType: pemType('ssl.truststore.type'),
    truststoreLocation,
    truststoreCertificates,
    clientAuth,
    enabledProtocols,
  };
}

/** The TLS settings of every SSL / SASL_SSL listener, checked for what each needs. */
function parseListenerSsl(
  settings: Settings,
  protocols: ReadonlyMap<string, SecurityProtocol>,
  kafkaName: string | null,
): Map<string, ListenerSsl> {
  const result = new Map<string, ListenerSsl>();
  for (const [name, protocol] of protocols) {
    if (!usesTls(protocol)) continue;
    const keyName = (key: SslKey): string => {
      const override = `listener.name.${name.toLowerCase()}.${key}`;
      return settings.values.has(override) ? override : key;
    };
    const ssl = parseSslSettings((key) => {
      const name = keyName(key);
      return { name, value: settings.values.get(name) ?? NODE_CONFIG_KEYS.get(key)!.defaultValue };
    });
    if (ssl.keystoreLocation === null && ssl.keystoreCertificateChain === null)
      throw new ConfigError(
        keyName('ssl.keystore.location'),
        null,
        `listener ${name} is ${protocol}: give its certificate and key (ssl.keystore.location, or ssl.keystore.certificate.chain and ssl.keystore.key)`,
      );
    const overridden = new Set(SSL_KEYS.filter((key) => keyName(key) !== key));
    const internal = name !== 'CLIENT' && name !== kafkaName;
    if (internal) {
      // Peers authenticate each other by certificate: the client certificate is always required here.
      if (overridden.has('ssl.client.auth') && ssl.clientAuth !== 'required')
        throw new ConfigError(
          keyName('ssl.client.auth'),
          ssl.clientAuth,
          `${name} is an internal listener: its peers are always verified (required)`,
        );
      if (ssl.truststoreLocation === null && ssl.truststoreCertificates === null)
        throw new ConfigError(
          keyName('ssl.truststore.location'),
          null,
          `listener ${name} is an internal SSL listener: give the cluster CA (ssl.truststore.location or ssl.truststore.certificates) that peers' certificates are verified against`,
        );
      result.set(name, { ...ssl, clientAuth: 'required', listener: name, overridden });
    } else {
      if (ssl.clientAuth !== 'none' && ssl.truststoreLocation === null && ssl.truststoreCertificates === null)
        throw new ConfigError(
          keyName('ssl.truststore.location'),
          null,
          `ssl.client.auth=${ssl.clientAuth} on ${name}: give the CA that client certificates are verified against`,
        );
      result.set(name, { ...ssl, listener: name, overridden });
    }
  }
  return result;
}

function parseInternalAuthSecret(settings: Settings): InternalAuthSecret | null {
  const secret = settings.nullableString('internal.auth.secret');
  const location = settings.nullableString('internal.auth.secret.location');
  if (secret !== null && location !== null)
    throw new ConfigError(
      'internal.auth.secret.location',
      location,
      'give either internal.auth.secret or internal.auth.secret.location, not both',
    );
  if (secret !== null) {
    if (secret.length < INTERNAL_AUTH_SECRET_CHARS_MIN)
      throw new ConfigError(
        'internal.auth.secret',
        null,
        `the secret has ${secret.length} characters: use at least ${INTERNAL_AUTH_SECRET_CHARS_MIN}`,
        `Invalid value for configuration internal.auth.secret: use at least ${INTERNAL_AUTH_SECRET_CHARS_MIN} characters`,
      );
    return { kind: 'text', secret };
  }
  return location === null ? null : { kind: 'file', location };
}

/** A shared secret shorter than this is refused (it would be guessed). */
export const INTERNAL_AUTH_SECRET_CHARS_MIN = 16;

function checkKeys(settings: Settings, warnings: string[]): void {
  for (const key of settings.values.keys()) {
    if (NODE_CONFIG_KEYS.has(key)) continue;
    if (listenerOverride(key) !== null) continue;
    warnings.push(
      IGNORED_KAFKA_KEYS.has(key)
        ? `The configuration '${key}' is a Kafka setting this platform does not use (ignored).`
        : `The configuration '${key}' was supplied but isn't a known config (ignored).`,
    );
  }
}

/** The cross-key rules between roles, listeners and voters. */
function checkQuorum(config: NodeConfig, warnings: string[]): void {
  const voters = 'controller.quorum.voters';
  const votersText = formatVoters(config.controllerQuorumVoters);
  const self = config.controllerQuorumVoters.get(config.nodeId);
  if (config.processRoles.has('controller')) {
    if (self === undefined)
      throw new ConfigError(
        voters,
        votersText,
        `node ${config.nodeId} has the controller role, so it must be a voter`,
      );
    const advertised = config.advertisedListeners.internal;
    if (advertised.port !== 0 && advertised.port !== self.port)
      throw new ConfigError(
        voters,
        votersText,
        `voter ${config.nodeId} is at port ${self.port}, but this node's INTERNAL listener is advertised at port ` +
          `${advertised.port}: they must agree`,
      );
    if (advertised.port !== 0 && advertised.host !== self.host)
      warnings.push(
        `controller.quorum.voters lists node ${config.nodeId} at ${formatEndpoint(self)}, but its INTERNAL ` +
          `listener is advertised as ${formatEndpoint(advertised)}; make sure both reach this node.`,
      );
  } else if (self !== undefined) {
    throw new ConfigError(
      voters,
      votersText,
      `node ${config.nodeId} is broker-only, so it must not be a voter (add controller to process.roles, or remove it)`,
    );
  }
}

function checkSettings(settings: Settings): void {
  const names = settings.nullableString('controller.listener.names');
  if (names !== null && (parseList(names).length !== 1 || parseList(names)[0]?.toUpperCase() !== 'INTERNAL'))
    throw new ConfigError(
      'controller.listener.names',
      names,
      'controller traffic uses the INTERNAL listener: set INTERNAL',
    );
}

/** inter.broker.listener.name: one of this node's internal listeners (Kafka: one it advertises). */
function parseInterBrokerListenerName(settings: Settings, listeners: Listeners): string {
  const raw = settings.nullableString('inter.broker.listener.name');
  const name = raw === null ? 'INTERNAL' : raw.toUpperCase();
  if (name !== 'INTERNAL' && !listeners.named.has(name))
    throw new ConfigError(
      'inter.broker.listener.name',
      raw,
      name === 'CLIENT'
        ? 'CLIENT is the client API: brokers talk over INTERNAL or another internal listener'
        : KAFKA_LISTENER_NAMES.includes(name)
          ? `${name} is the Kafka protocol for clients: brokers talk over INTERNAL or another internal listener`
          : `no listener ${name} in listeners`,
    );
  return name;
}

function checkRelations(config: NodeConfig, warnings: string[]): void {
  if (config.brokerHeartbeatIntervalMs >= config.brokerSessionTimeoutMs)
    throw new ConfigError(
      'broker.heartbeat.interval.ms',
      String(config.brokerHeartbeatIntervalMs),
      `must be less than broker.session.timeout.ms (${config.brokerSessionTimeoutMs})`,
    );
  if (config.groupMinSessionTimeoutMs > config.groupMaxSessionTimeoutMs)
    throw new ConfigError(
      'group.min.session.timeout.ms',
      String(config.groupMinSessionTimeoutMs),
      `must not exceed group.max.session.timeout.ms (${config.groupMaxSessionTimeoutMs})`,
    );
  if (config.logCleanerMinCompactionLagMs > config.logCleanerMaxCompactionLagMs)
    throw new ConfigError(
      'log.cleaner.min.compaction.lag.ms',
      String(config.logCleanerMinCompactionLagMs),
      `must not exceed log.cleaner.max.compaction.lag.ms (${config.logCleanerMaxCompactionLagMs})`,
    );
  if (config.logCleanerThreads > 1)
    warnings.push(
      `log.cleaner.threads=${config.logCleanerThreads}: this platform runs one log cleaner per node.`,
    );
  if (config.minInsyncReplicas > config.defaultReplicationFactor)
    warnings.push(
      `min.insync.replicas (${config.minInsyncReplicas}) exceeds default.replication.factor ` +
        `(${config.defaultReplicationFactor}): acks=all produce to topics created with the default factor will ` +
        'fail with NOT_ENOUGH_REPLICAS.',
    );
}

/** Typed, checked config from merged settings; throws ConfigError. Unknown keys become warnings. */
export function buildNodeConfig(values: ReadonlyMap<string, string>): {
  config: NodeConfig;
  warnings: string[];
} {
  const settings = new Settings(values);
  const warnings: string[] = [];
  checkKeys(settings, warnings);
  checkSettings(settings);
  const { listeners, advertised, kafkaName, bound } = parseListenerSettings(settings);
  const listenerSecurityProtocols = parseListenerProtocols(settings, bound, kafkaName);
  for (const key of settings.values.keys()) {
    const override = listenerOverride(key);
    if (override !== null && !bound.has(override.listener))
      warnings.push(`${key}: there is no listener ${override.listener} in listeners (ignored).`);
  }
  const nodeSsl = parseSslSettings((key) => ({ name: key, value: settings.raw(key) }));
  const logDirs = parseLogDirs(settings, warnings);
  const retentionMs =
    settings.nullableInteger('log.retention.ms') ??
    minutesOrHours(
      settings.nullableInteger('log.retention.minutes'),
      settings.integer('log.retention.hours'),
    );
  const int = (key: string): number => settings.integer(key);
  const saslMechanisms = parseSaslMechanisms(settings);
  const saslListeners = [...listenerSecurityProtocols].filter(([, protocol]) => protocol.startsWith('SASL_'));
  if (saslListeners.length > 0 && saslMechanisms.length === 0)
    throw new ConfigError(
      'sasl.enabled.mechanisms',
      settings.raw('sasl.enabled.mechanisms'),
      `listener ${saslListeners[0]![0]} is ${saslListeners[0]![1]}: enable at least one mechanism`,
    );
  const config: NodeConfig = {
    nodeId: parseNodeId(settings),
    processRoles: parseRoles(settings),
    controllerQuorumVoters: parseVoters(
      settings.required(
        'controller.quorum.voters',
        'list every controller as id@host:port (its INTERNAL listener)',
      ),
    ),
    listeners,
    advertisedListeners: advertised,
    logDirs,
    metadataLogDir: settings.nullableString('metadata.log.dir') ?? logDirs[0]!,
    clusterId: parseClusterId(settings),
    rack: settings.nullableString('broker.rack'),
    interBrokerListenerName: parseInterBrokerListenerName(settings, listeners),
    logLevel: parseLogLevel(settings),
    numPartitions: int('num.partitions'),
    defaultReplicationFactor: int('default.replication.factor'),
    minInsyncReplicas: int('min.insync.replicas'),
    uncleanLeaderElectionEnable: settings.boolean('unclean.leader.election.enable'),
    autoCreateTopicsEnable: settings.boolean('auto.create.topics.enable'),
    deleteTopicEnable: settings.boolean('delete.topic.enable'),
    logRetentionMs: retentionMs,
    logRetentionBytes: int('log.retention.bytes'),
    logSegmentBytes: int('log.segment.bytes'),
    logRollMs: settings.nullableInteger('log.roll.ms') ?? int('log.roll.hours') * 3_600_000,
    logRetentionCheckIntervalMs: int('log.retention.check.interval.ms'),
    logSegmentDeleteDelayMs: int('log.segment.delete.delay.ms'),
    logFlushIntervalMessages: settings.nullableInteger('log.flush.interval.messages'),
    logFlushIntervalMs: settings.nullableInteger('log.flush.interval.ms'),
    messageMaxBytes: int('message.max.bytes'),
    logCleanupPolicy: parseCleanupPolicy(settings),
    logCleanerEnable: settings.boolean('log.cleaner.enable'),
    logCleanerThreads: int('log.cleaner.threads'),
    logCleanerBackoffMs: int('log.cleaner.backoff.ms'),
    logCleanerDedupeBufferSize: int('log.cleaner.dedupe.buffer.size'),
    logCleanerDeleteRetentionMs: int('log.cleaner.delete.retention.ms'),
    logCleanerMinCompactionLagMs: int('log.cleaner.min.compaction.lag.ms'),
    logCleanerMaxCompactionLagMs: int('log.cleaner.max.compaction.lag.ms'),
    logCleanerMinCleanableRatio: settings.double('log.cleaner.min.cleanable.ratio'),
    replicaLagTimeMaxMs: int('replica.lag.time.max.ms'),
    replicaSilenceTimeMaxMs: int('replica.silence.time.max.ms'),
    replicaFetchMaxBytes: int('replica.fetch.max.bytes'),
    replicaFetchMinBytes: int('replica.fetch.min.bytes'),
    replicaFetchWaitMaxMs: int('replica.fetch.wait.max.ms'),
    brokerHeartbeatIntervalMs: int('broker.heartbeat.interval.ms'),
    brokerSessionTimeoutMs: int('broker.session.timeout.ms'),
    initialBrokerRegistrationTimeoutMs: int('initial.broker.registration.timeout.ms'),
    controllerQuorumElectionTimeoutMs: int('controller.quorum.election.timeout.ms'),
    controllerQuorumFetchTimeoutMs: int('controller.quorum.fetch.timeout.ms'),
    controllerQuorumElectionBackoffMaxMs: int('controller.quorum.election.backoff.max.ms'),
    controllerQuorumRequestTimeoutMs: int('controller.quorum.request.timeout.ms'),
    controllerQuorumRetryBackoffMs: int('controller.quorum.retry.backoff.ms'),
    controllerQuorumAppendLingerMs: int('controller.quorum.append.linger.ms'),
    metadataLogSegmentBytes: int('metadata.log.segment.bytes'),
    metadataLogSegmentMs: int('metadata.log.segment.ms'),
    metadataLogMaxRecordBytesBetweenSnapshots: int('metadata.log.max.record.bytes.between.snapshots'),
    metadataLogMaxRecordsBetweenSnapshots: int('metadata.log.max.records.between.snapshots'),
    metadataLogMaxSnapshotIntervalMs: int('metadata.log.max.snapshot.interval.ms'),
    metadataMaxRetentionMs: int('metadata.max.retention.ms'),
    metadataMaxRetentionBytes: int('metadata.max.retention.bytes'),
    offsetsTopicNumPartitions: int('offsets.topic.num.partitions'),
    offsetsTopicReplicationFactor: int('offsets.topic.replication.factor'),
    offsetsTopicSegmentBytes: int('offsets.topic.segment.bytes'),
    offsetsRetentionMinutes: int('offsets.retention.minutes'),
    groupInitialRebalanceDelayMs: int('group.initial.rebalance.delay.ms'),
    groupMinSessionTimeoutMs: int('group.min.session.timeout.ms'),
    groupMaxSessionTimeoutMs: int('group.max.session.timeout.ms'),
    autoLeaderRebalanceEnable: settings.boolean('auto.leader.rebalance.enable'),
    leaderImbalanceCheckIntervalSeconds: int('leader.imbalance.check.interval.seconds'),
    authorizerClassName: parseAuthorizerClassName(settings.nullableString('authorizer.class.name')),
    superUsers: parseSuperUsers(settings.nullableString('super.users')),
    allowEveryoneIfNoAclFound: settings.boolean('allow.everyone.if.no.acl.found'),
    socketRequestMaxBytes: int('socket.request.max.bytes'),
    consumerInstanceTimeoutMs: int('consumer.instance.timeout.ms'),
    consumerRequestTimeoutMs: int('consumer.request.timeout.ms'),
    listenerSecurityProtocols,
    kafkaListenerName: kafkaName,
    ssl: nodeSsl,
    listenerSsl: parseListenerSsl(settings, listenerSecurityProtocols, kafkaName),
    internalAuthSecret: parseInternalAuthSecret(settings),
    connectionLimits: parseConnectionLimits(settings),
    connectionsMaxIdleMs: int('connections.max.idle.ms'),
    httpHeadersTimeoutMs: int('http.headers.timeout.ms'),
    httpRequestTimeoutMs: int('http.request.timeout.ms'),
    quotaWindow: {
      samples: int('quota.window.num'),
      windowMs: int('quota.window.size.seconds') * 1000,
    },
    saslEnabledMechanisms: saslMechanisms,
    saslServerMaxReceiveSize: int('sasl.server.max.receive.size'),
    connectionsMaxReauthMs: int('connections.max.reauth.ms'),
    sslPrincipalMappingRules: checkPrincipalMappingRules(settings),
  };
  checkQuorum(config, warnings);
  checkRelations(config, warnings);
  return { config, warnings };
}

/** max.connections, max.connections.per.ip and max.connections.per.ip.overrides. */
function parseConnectionLimits(settings: Settings): ConnectionLimits {
  const key = 'max.connections.per.ip.overrides';
  const raw = settings.raw(key) ?? '';
  let perIpOverrides: Map<string, number>;
  try {
    perIpOverrides = parsePerIpOverrides(raw);
  } catch (error) {
    throw new ConfigError(key, raw, error instanceof Error ? error.message : String(error));
  }
  return {
    maxConnections: settings.integer('max.connections'),
    maxConnectionsPerIp: settings.integer('max.connections.per.ip'),
    perIpOverrides,
  };
}

function minutesOrHours(minutes: number | null, hours: number): number {
  const value = minutes !== null ? minutes * 60_000 : hours * 3_600_000;
  return value < 0 ? -1 : value;
}

// ---------------------------------------------------------------------------------------------------
// Back to Kafka's names: for describeConfig, and so that a NodeConfig round-trips through properties.

/** Every non-alias key with its effective value (null = unset), in key order. */
export function configToProperties(config: NodeConfig): Map<string, string | null> {
  const n = (value: number | null): string | null => (value === null ? null : String(value));
  const effective: Record<string, string | null> = {
    'node.id': String(config.nodeId),
    'process.roles': [...config.processRoles].join(','),
    'controller.quorum.voters': formatVoters(config.controllerQuorumVoters),
    'controller.listener.names': 'INTERNAL',
    'inter.broker.listener.name': config.interBrokerListenerName,
    listeners: formatListeners(config.listeners, config.kafkaListenerName ?? KAFKA_LISTENER_NAME),
    'advertised.listeners': formatListeners(
      config.advertisedListeners,
      config.kafkaListenerName ?? KAFKA_LISTENER_NAME,
    ),
    'log.dirs': config.logDirs.join(','),
    'metadata.log.dir': config.metadataLogDir,
    'cluster.id': config.clusterId,
    'broker.rack': config.rack,
    'log.level': config.logLevel,
    'num.partitions': n(config.numPartitions),
    'default.replication.factor': n(config.defaultReplicationFactor),
    'min.insync.replicas': n(config.minInsyncReplicas),
    'unclean.leader.election.enable': String(config.uncleanLeaderElectionEnable),
    'auto.create.topics.enable': String(config.autoCreateTopicsEnable),
    'delete.topic.enable': String(config.deleteTopicEnable),
    'log.retention.ms': n(config.logRetentionMs),
    'log.retention.bytes': n(config.logRetentionBytes),
    'log.segment.bytes': n(config.logSegmentBytes),
    'log.roll.ms': n(config.logRollMs),
    'log.retention.check.interval.ms': n(config.logRetentionCheckIntervalMs),
    'log.segment.delete.delay.ms': n(config.logSegmentDeleteDelayMs),
    'log.flush.interval.messages': n(config.logFlushIntervalMessages),
    'log.flush.interval.ms': n(config.logFlushIntervalMs),
    'message.max.bytes': n(config.messageMaxBytes),
    'log.cleanup.policy': [...config.logCleanupPolicy].join(','),
    'log.cleaner.enable': String(config.logCleanerEnable),
    'log.cleaner.threads': n(config.logCleanerThreads),
    'log.cleaner.backoff.ms': n(config.logCleanerBackoffMs),
    'log.cleaner.dedupe.buffer.size': n(config.logCleanerDedupeBufferSize),
    'log.cleaner.delete.retention.ms': n(config.logCleanerDeleteRetentionMs),
    'log.cleaner.min.compaction.lag.ms': n(config.logCleanerMinCompactionLagMs),
    'log.cleaner.max.compaction.lag.ms': n(config.logCleanerMaxCompactionLagMs),
    'log.cleaner.min.cleanable.ratio': n(config.logCleanerMinCleanableRatio),
    'replica.lag.time.max.ms': n(config.replicaLagTimeMaxMs),
    'replica.silence.time.max.ms': n(config.replicaSilenceTimeMaxMs),
    'replica.fetch.max.bytes': n(config.replicaFetchMaxBytes),
    'replica.fetch.min.bytes': n(config.replicaFetchMinBytes),
    'replica.fetch.wait.max.ms': n(config.replicaFetchWaitMaxMs),
    'broker.heartbeat.interval.ms': n(config.brokerHeartbeatIntervalMs),
    'broker.session.timeout.ms': n(config.brokerSessionTimeoutMs),
    'initial.broker.registration.timeout.ms': n(config.initialBrokerRegistrationTimeoutMs),
    'controller.quorum.election.timeout.ms': n(config.controllerQuorumElectionTimeoutMs),
    'controller.quorum.fetch.timeout.ms': n(config.controllerQuorumFetchTimeoutMs),
    'controller.quorum.election.backoff.max.ms': n(config.controllerQuorumElectionBackoffMaxMs),
    'controller.quorum.request.timeout.ms': n(config.controllerQuorumRequestTimeoutMs),
    'controller.quorum.retry.backoff.ms': n(config.controllerQuorumRetryBackoffMs),
    'controller.quorum.append.linger.ms': n(config.controllerQuorumAppendLingerMs),
    'metadata.log.segment.bytes': n(config.metadataLogSegmentBytes),
    'metadata.log.segment.ms': n(config.metadataLogSegmentMs),
    'metadata.log.max.record.bytes.between.snapshots': n(config.metadataLogMaxRecordBytesBetweenSnapshots),
    'metadata.log.max.records.between.snapshots': n(config.metadataLogMaxRecordsBetweenSnapshots),
    'metadata.log.max.snapshot.interval.ms': n(config.metadataLogMaxSnapshotIntervalMs),
    'metadata.max.retention.ms': n(config.metadataMaxRetentionMs),
    'metadata.max.retention.bytes': n(config.metadataMaxRetentionBytes),
    'offsets.topic.num.partitions': n(config.offsetsTopicNumPartitions),
    'offsets.topic.replication.factor': n(config.offsetsTopicReplicationFactor),
    'offsets.topic.segment.bytes': n(config.offsetsTopicSegmentBytes),
    'offsets.retention.minutes': n(config.offsetsRetentionMinutes),
    'group.initial.rebalance.delay.ms': n(config.groupInitialRebalanceDelayMs),
    'group.min.session.timeout.ms': n(config.groupMinSessionTimeoutMs),
    'group.max.session.timeout.ms': n(config.groupMaxSessionTimeoutMs),
    'auto.leader.rebalance.enable': String(config.autoLeaderRebalanceEnable),
    'leader.imbalance.check.interval.seconds': n(config.leaderImbalanceCheckIntervalSeconds),
    'authorizer.class.name': config.authorizerClassName ?? '',
    'super.users': config.superUsers.length === 0 ? null : config.superUsers.join(';'),
    'allow.everyone.if.no.acl.found': String(config.allowEveryoneIfNoAclFound),
    'socket.request.max.bytes': n(config.socketRequestMaxBytes),
    'consumer.instance.timeout.ms': n(config.consumerInstanceTimeoutMs),
    'consumer.request.timeout.ms': n(config.consumerRequestTimeoutMs),
    'listener.security.protocol.map': [...config.listenerSecurityProtocols]
      .map(([name, protocol]) => `${name}:${protocol}`)
      .join(','),
    'ssl.keystore.type': config.ssl.keystoreType,
    'ssl.keystore.location': config.ssl.keystoreLocation,
    'ssl.keystore.certificate.chain': config.ssl.keystoreCertificateChain,
    'ssl.keystore.key': config.ssl.keystoreKey,
    'ssl.key.password': config.ssl.keyPassword,
    'ssl.truststore.type': config.ssl.truststoreType,
    'ssl.truststore.location': config.ssl.truststoreLocation,
    'ssl.truststore.certificates': config.ssl.truststoreCertificates,
    'ssl.client.auth': config.ssl.clientAuth,
    'ssl.enabled.protocols': config.ssl.enabledProtocols.join(','),
    'internal.auth.secret':
      config.internalAuthSecret?.kind === 'text' ? config.internalAuthSecret.secret : null,
    'internal.auth.secret.location':
      config.internalAuthSecret?.kind === 'file' ? config.internalAuthSecret.location : null,
    'max.connections': n(config.connectionLimits.maxConnections),
    'max.connections.per.ip': n(config.connectionLimits.maxConnectionsPerIp),
    'max.connections.per.ip.overrides': [...config.connectionLimits.perIpOverrides]
      .map(([host, count]) => `${host.includes(':') ? `[${host}]` : host}:${count}`)
      .join(','),
    'connections.max.idle.ms': n(config.connectionsMaxIdleMs),
    'http.headers.timeout.ms': n(config.httpHeadersTimeoutMs),
    'http.request.timeout.ms': n(config.httpRequestTimeoutMs),
    'quota.window.num': n(config.quotaWindow.samples),
    'quota.window.size.seconds': n(config.quotaWindow.windowMs / 1000),
    'sasl.enabled.mechanisms': config.saslEnabledMechanisms.join(','),
    'sasl.server.max.receive.size': n(config.saslServerMaxReceiveSize),
    'connections.max.reauth.ms': n(config.connectionsMaxReauthMs),
    'ssl.principal.mapping.rules': config.sslPrincipalMappingRules,
  };
  // Secrets are never described (Kafka's DescribeConfigs shows a PASSWORD as null).
  for (const key of SENSITIVE_KEYS) if (effective[key] !== null) effective[key] = null;
  return new Map(Object.entries(effective).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** The lines a node logs at start, as Kafka's "KafkaConfig values:" block. */
export function describeConfig(config: NodeConfig): string[] {
  return [
    'NodeConfig values:',
    ...[...configToProperties(config)].map(([key, value]) => `\t${key} = ${value ?? 'null'}`),
  ];
}

// ---------------------------------------------------------------------------------------------------
// The local development cluster

function localDataDir(dataRoot: string, id: number): string {
  return `${dataRoot.replace(/[\\/]+$/, '') || '.'}/node-${id}`;
}

/** The settings of node `id` of the local cluster of `nodes` combined nodes (see LOCAL_CLUSTER). */
export function localClusterProperties(
  id: number,
  dataRoot: string = LOCAL_CLUSTER.dataRoot,
  nodes: number = LOCAL_CLUSTER.nodes,
): Map<string, string> {
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > LOCAL_CLUSTER.nodesMax)
    throw new ConfigError(
      '--local-nodes',
      String(nodes),
      `the local cluster has 1 to ${LOCAL_CLUSTER.nodesMax} nodes`,
    );
  if (!Number.isInteger(id) || id < 1 || id > nodes)
    throw new ConfigError(
      'node.id',
      String(id),
      `the local ${nodes}-node cluster has nodes 1..${nodes}; use --config for another layout`,
    );
  const { host, clientPortBase, kafkaPortBase, internalPortBase } = LOCAL_CLUSTER;
  const voters = Array.from(
    { length: nodes },
    (_, index) => `${index + 1}@${host}:${internalPortBase + index + 1}`,
  );
  const settings = new Map<string, string>([
    ['node.id', String(id)],
    ['process.roles', 'broker,controller'],
    ['controller.quorum.voters', voters.join(',')],
    ['controller.listener.names', 'INTERNAL'],
    [
      'listeners',
      `CLIENT://${host}:${clientPortBase + id},${KAFKA_LISTENER_NAME}://${host}:${kafkaPortBase + id},` +
        `INTERNAL://${host}:${internalPortBase + id}`,
    ],
    ['log.dirs', localDataDir(dataRoot, id)],
    ...LOCAL_CLUSTER_SETTINGS,
  ]);
  // A smaller local cluster cannot hold 3 replicas.
  settings.set('default.replication.factor', String(Math.min(3, nodes)));
  settings.set('offsets.topic.replication.factor', String(Math.min(3, nodes)));
  settings.set('min.insync.replicas', String(Math.min(2, nodes)));
  return settings;
}

/** Node `id` (1..3) of the local 3-node cluster that `npm run cluster` starts. */
export function localClusterConfig(
  id: number,
  dataRoot: string = LOCAL_CLUSTER.dataRoot,
  nodes = 3,
): NodeConfig {
  return buildNodeConfig(localClusterProperties(id, dataRoot, nodes)).config;
}

export interface LocalClusterInfo {
  readonly dataRoot: string;
  readonly nodes: number;
}
