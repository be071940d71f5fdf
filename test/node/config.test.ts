import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nodeId } from '../../raft/types.ts';
import {
  buildNodeConfig,
  ConfigError,
  configToProperties,
  describeConfig,
  localClusterConfig,
  localClusterProperties,
  type NodeConfig,
} from '../../src/node/config.ts';
import { type LoadedConfig, loadNodeConfig } from '../../src/node/node-args.ts';
import { NODE_CONFIG_KEYS } from '../../src/node/config-defaults.ts';

/** A valid combined node 1 of a 3-node cluster, as a .properties text would give it. */
const BASE: ReadonlyMap<string, string> = new Map([
  ['node.id', '1'],
  ['process.roles', 'broker,controller'],
  ['controller.quorum.voters', '1@10.0.0.1:9093,2@10.0.0.2:9093,3@10.0.0.3:9093'],
  ['listeners', 'CLIENT://10.0.0.1:8080,INTERNAL://10.0.0.1:9093'],
  ['log.dirs', '/var/lib/kraftling'],
]);

function build(overrides: Record<string, string | null> = {}): { config: NodeConfig; warnings: string[] } {
  const values = new Map(BASE);
  for (const [key, value] of Object.entries(overrides)) {
    if (value === null) values.delete(key);
    else values.set(key, value);
  }
  return buildNodeConfig(values);
}

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

function loaded(argv: string[], files: Record<string, string> = {}): LoadedConfig {
  const result = loadNodeConfig(argv, {
    readFile: (path) => {
      const text = files[path];
      if (text === undefined) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
      return text;
    },
  });
  if (result.kind !== 'config') throw new Error('expected a config');
  return result;
}

describe('the local-cluster profile', () => {
  it('is three combined nodes: client API on 808N, Kafka on 909(1+N), internal on 1909N, data in ./data/node-N', () => {
    for (const id of [1, 2, 3]) {
      const config = localClusterConfig(id);
      expect(config.nodeId).toBe(id);
      expect([...config.processRoles].sort()).toEqual(['broker', 'controller']);
      expect(config.listeners).toEqual({
        client: { host: '127.0.0.1', port: 8080 + id },
        kafka: { host: '127.0.0.1', port: 9091 + id },
        internal: { host: '127.0.0.1', port: 19090 + id },
        named: new Map(),
      });
      expect(config.advertisedListeners).toEqual(config.listeners);
      expect(config.logDirs).toEqual([`./data/node-${id}`]);
      expect(config.metadataLogDir).toBe(`./data/node-${id}`);
      expect(config.controllerQuorumVoters).toEqual(
        new Map([
          [nodeId(1), { host: '127.0.0.1', port: 19091 }],
          [nodeId(2), { host: '127.0.0.1', port: 19092 }],
          [nodeId(3), { host: '127.0.0.1', port: 19093 }],
        ]),
      );
      expect(config.clusterId).toBeNull();
    }
  });

  it('replicates (RF 3, min ISR 2) and uses laptop-friendly timeouts', () => {
    const config = localClusterConfig(2);
    expect(config.numPartitions).toBe(1);
    expect(config.defaultReplicationFactor).toBe(3);
    expect(config.minInsyncReplicas).toBe(2);
    expect(config.offsetsTopicReplicationFactor).toBe(3);
    expect(config.controllerQuorumElectionTimeoutMs).toBe(500);
    expect(config.controllerQuorumFetchTimeoutMs).toBe(1000);
    expect(config.brokerHeartbeatIntervalMs).toBe(250);
    expect(config.brokerSessionTimeoutMs).toBe(3000);
    expect(config.groupInitialRebalanceDelayMs).toBe(0);
    // Everything else keeps Kafka's default.
    expect(config.logRetentionMs).toBe(604_800_000);
    expect(config.uncleanLeaderElectionEnable).toBe(false);
  });

  it('takes another data root and other sizes', () => {
    expect(localClusterConfig(2, '/tmp/x/').logDirs).toEqual(['/tmp/x/node-2']);
    const single = localClusterConfig(1, './data', 1);
    expect(single.controllerQuorumVoters.size).toBe(1);
    expect(single.defaultReplicationFactor).toBe(1);
    expect(single.minInsyncReplicas).toBe(1);
    expect(localClusterConfig(5, './data', 5).listeners.client.port).toBe(8085);
  });

  it('refuses nodes outside the cluster', () => {
    expect(configError(() => localClusterConfig(4)).key).toBe('node.id');
    expect(configError(() => localClusterConfig(0)).key).toBe('node.id');
    expect(configError(() => localClusterProperties(1, './data', 10)).key).toBe('--local-nodes');
  });
});

describe('loadNodeConfig: sources and precedence', () => {
  it('without --config, --node-id N is node N of the local cluster', () => {
    const result = loaded(['--node-id', '2']);
    expect(result.config).toEqual(localClusterConfig(2));
    expect(result.localCluster).toEqual({ dataRoot: './data', nodes: 3 });
    expect(result.configFile).toBeNull();
    expect(result.warnings).toEqual([]);
  });

  it('flags override the local profile; --data-root and --local-nodes reshape it', () => {
    const result = loaded(['--node-id', '3', '--num-partitions', '6', '--override', 'min.insync.replicas=1']);
    expect(result.config.numPartitions).toBe(6);
    expect(result.config.minInsyncReplicas).toBe(1);
    const other = loaded(['--node-id', '4', '--local-nodes', '5', '--data-root', '/srv/k']);
    expect(other.config.logDirs).toEqual(['/srv/k/node-4']);
    expect(other.config.controllerQuorumVoters.size).toBe(5);
    expect(other.localCluster).toEqual({ dataRoot: '/srv/k', nodes: 5 });
  });

  it('without --config and without a node id explains what to do', () => {
    const error = configError(() => loaded([]));
    expect(error.key).toBe('node.id');
    expect(error.message).toContain('--node-id 1..3');
  });

  const file = [
    '# node 2 of a real cluster',
    'node.id=2',
    'process.roles = broker,controller',
    'controller.quorum.voters=1@h1:9093,\\',
    '    2@h2:9093,\\',
    '    3@h3:9093',
    'listeners: CLIENT://0.0.0.0:8080,INTERNAL://0.0.0.0:9093',
    'advertised.listeners=CLIENT://h2:8080,INTERNAL://h2:9093',
    'log.dirs=/data/a,/data/b',
    'num.partitions=3',
    'log.retention.hours=24',
    'broker.rack=eu-1a  ',
  ].join('\n');

  it('reads a .properties file, with Kafka defaults for the rest and no local profile', () => {
    const { config, warnings, localCluster, configFile } = loaded(['--config', 'n.properties'], {
      'n.properties': file,
    });
    expect(configFile).toBe('n.properties');
    expect(localCluster).toBeNull();
    expect(warnings).toEqual([]);
    expect(config.nodeId).toBe(2);
    expect(config.controllerQuorumVoters.get(nodeId(3))).toEqual({ host: 'h3', port: 9093 });
    expect(config.listeners.client).toEqual({ host: '0.0.0.0', port: 8080 });
    expect(config.advertisedListeners.internal).toEqual({ host: 'h2', port: 9093 });
    expect(config.logDirs).toEqual(['/data/a', '/data/b']);
    expect(config.metadataLogDir).toBe('/data/a');
    expect(config.numPartitions).toBe(3);
    expect(config.logRetentionMs).toBe(24 * 3_600_000);
    expect(config.rack).toBe('eu-1a');
    expect(config.defaultReplicationFactor).toBe(1);
    expect(config.minInsyncReplicas).toBe(1);
    expect(config.brokerHeartbeatIntervalMs).toBe(2000);
    expect(config.brokerSessionTimeoutMs).toBe(9000);
    expect(config.controllerQuorumElectionTimeoutMs).toBe(1000);
    expect(config.controllerQuorumFetchTimeoutMs).toBe(2000);
    expect(config.metadataLogMaxRecordBytesBetweenSnapshots).toBe(20 * 1024 * 1024);
    expect(config.logLevel).toBe('info');
  });

  it('flags override the file, later flags override earlier ones', () => {
    const files = { 'n.properties': file };
    const { config } = loaded(
      [
        '--config',
        'n.properties',
        '--num-partitions',
        '7',
        '--override',
        'log.retention.ms=1000',
        '--override',
        'broker.rack=x',
        '--broker-rack',
        'y',
        '--cluster-id',
        'my-cluster',
      ],
      files,
    );
    expect(config.numPartitions).toBe(7);
    expect(config.logRetentionMs).toBe(1000);
    expect(config.rack).toBe('y');
    expect(config.clusterId).toBe('my-cluster');
  });

  it('does not apply the local profile under --config', () => {
    const error = configError(() =>
      loaded(['--config', 'c.properties', '--node-id', '1'], { 'c.properties': 'x=1' }),
    );
    expect(error.key).toBe('listeners');
    expect(configError(() => loaded(['--config', 'c', '--data-root', 'd'], { c: file })).key).toBe(
      '--data-root',
    );
  });

  it('reports unreadable files, unknown flags and bad overrides', () => {
    expect(configError(() => loaded(['--config', 'missing.properties'])).message).toBe(
      'Invalid value missing.properties for configuration --config: cannot read the file (ENOENT)',
    );
    const unknown = configError(() => loaded(['--node-id', '1', '--bogus', 'x']));
    expect(unknown.key).toBe('command line');
    expect(unknown.message).toContain("Unknown option '--bogus'");
    expect(configError(() => loaded(['--node-id', '1', '--override', 'novalue'])).key).toBe('--override');
    expect(configError(() => loaded(['--config', 'c'], { c: 'a=\\u12' })).message).toContain('line 1');
  });

  it('answers --help with the usage', () => {
    const result = loadNodeConfig(['--help']);
    expect(result.kind).toBe('help');
    if (result.kind === 'help') expect(result.usage).toContain('--override key=value');
  });
});

describe('buildNodeConfig: validation', () => {
  it.each<[Record<string, string | null>, string, string]>([
    [{ 'node.id': '0' }, 'node.id', 'Value must be at least 1'],
    [{ 'node.id': '-1' }, 'node.id', 'Value must be at least 1'],
    [{ 'node.id': 'one' }, 'node.id', 'Not a number of type INT'],
    [{ 'node.id': '1.5' }, 'node.id', 'Not a number of type INT'],
    [{ 'node.id': null }, 'node.id', 'unique id'],
    [{ 'broker.id': '2' }, 'broker.id', 'must match node.id'],
    [{ 'process.roles': 'broker,broker' }, 'process.roles', 'duplicate role broker'],
    [{ 'process.roles': 'zookeeper' }, 'process.roles', "unknown role 'zookeeper'"],
    [{ 'process.roles': ' , ' }, 'process.roles', 'give broker, controller or both'],
    [{ 'process.roles': null }, 'process.roles', 'process.roles=broker,controller'],
    [{ listeners: 'CLIENT://h:1' }, 'listeners', 'listener INTERNAL is missing'],
    [{ listeners: 'PLAINTEXT://:9092' }, 'listeners', 'listener CLIENT is missing'],
    [{ listeners: 'CLIENT://h:70000,INTERNAL://h:9093' }, 'listeners', 'port 70000 is not in 0..65535'],
    [{ listeners: 'CLIENT://h:8080,CLIENT://h:8081' }, 'listeners', 'listener CLIENT is listed twice'],
    [{ listeners: 'CLIENT://h:9093,INTERNAL://h:9093' }, 'listeners', 'need different ports'],
    [{ listeners: 'CLIENT:/h:1,INTERNAL://h:2' }, 'listeners', 'is not NAME://host:port'],
    [{ listeners: 'CLIENT://h,INTERNAL://h:9093' }, 'listeners', "'h' is not host:port"],
    [{ listeners: null }, 'listeners', 'CLIENT://host:port,INTERNAL://host:port'],
    [
      { listeners: 'CLIENT://:8080,INTERNAL://10.0.0.1:9093' },
      'advertised.listeners',
      "listener CLIENT binds to ''",
    ],
    [
      { listeners: 'CLIENT://10.0.0.1:8080,INTERNAL://0.0.0.0:9093' },
      'advertised.listeners',
      'set advertised.listeners=INTERNAL://<routable host>:9093',
    ],
    [{ 'advertised.listeners': 'CLIENT://0.0.0.0:8080' }, 'advertised.listeners', 'non-routable'],
    [{ 'advertised.listeners': 'CLIENT://[::]:8080' }, 'advertised.listeners', 'non-routable'],
    [{ 'controller.quorum.voters': 'a@h:1' }, 'controller.quorum.voters', 'is not id@host:port'],
    [{ 'controller.quorum.voters': '1@h' }, 'controller.quorum.voters', 'is not host:port'],
    [{ 'controller.quorum.voters': '0@h:1' }, 'controller.quorum.voters', '0 is reserved'],
    [{ 'controller.quorum.voters': '1@h:1,1@h:2' }, 'controller.quorum.voters', 'voter 1 is listed twice'],
    [{ 'controller.quorum.voters': '1@h:0' }, 'controller.quorum.voters', 'port in 1..65535'],
    [{ 'controller.quorum.voters': '1@0.0.0.0:9093' }, 'controller.quorum.voters', 'routable host'],
    [{ 'controller.quorum.voters': null }, 'controller.quorum.voters', 'id@host:port'],
    [{ 'controller.quorum.voters': '2@h2:9093' }, 'controller.quorum.voters', 'must be a voter'],
    [{ 'process.roles': 'broker' }, 'controller.quorum.voters', 'must not be a voter'],
    [{ 'controller.quorum.voters': '1@10.0.0.1:9094' }, 'controller.quorum.voters', 'they must agree'],
    [{ 'controller.listener.names': 'CONTROLLER' }, 'controller.listener.names', 'set INTERNAL'],
    [
      { 'inter.broker.listener.name': 'PLAINTEXT' },
      'inter.broker.listener.name',
      'PLAINTEXT is the Kafka protocol for clients',
    ],
    [{ 'inter.broker.listener.name': 'CLIENT' }, 'inter.broker.listener.name', 'CLIENT is the client API'],
    [{ 'advertised.listeners': 'FROM1://h:1' }, 'advertised.listeners', 'FROM1 is not in listeners'],
    [{ 'num.partitions': '0' }, 'num.partitions', 'Value must be at least 1'],
    [{ 'num.partitions': '2147483648' }, 'num.partitions', 'Not a number of type INT'],
    [{ 'log.retention.ms': '9223372036854775808' }, 'log.retention.ms', 'Not a number of type LONG'],
    [{ 'log.retention.ms': '-2' }, 'log.retention.ms', 'Value must be at least -1'],
    [{ 'log.segment.bytes': '13' }, 'log.segment.bytes', 'Value must be at least 14'],
    [{ 'unclean.leader.election.enable': 'yes' }, 'unclean.leader.election.enable', 'either true or false'],
    [{ 'log.level': 'loud' }, 'log.level', 'String must be one of: fatal, error'],
    [{ 'cluster.id': 'a b' }, 'cluster.id', 'use 1 to 64 characters'],
    [
      { 'broker.heartbeat.interval.ms': '9000' },
      'broker.heartbeat.interval.ms',
      'less than broker.session.timeout.ms',
    ],
    [{ 'group.min.session.timeout.ms': '1800001' }, 'group.min.session.timeout.ms', 'must not exceed'],
    [{ 'log.dirs': '/a,/a' }, 'log.dirs', 'listed twice'],
    [{ 'log.dirs': ' , ' }, 'log.dirs', 'no directory given'],
  ])('refuses %j (key %s)', (overrides, key, reason) => {
    const error = configError(() => build(overrides));
    expect(error.key).toBe(key);
    expect(error.message).toContain(reason);
    const [given, value] = Object.entries(overrides)[0]!;
    if (given === key && value !== null)
      expect(error.message).toContain(`Invalid value ${value} for configuration ${key}`);
  });

  it('parses values as Kafka does: trimmed, booleans in any case, long overflow clamped to a safe integer', () => {
    const { config } = build({
      'num.partitions': ' 4 ',
      'unclean.leader.election.enable': 'TRUE',
      'log.retention.bytes': '9223372036854775807',
      'log.flush.interval.messages': '1',
      'log.level': 'DEBUG',
    });
    expect(config.numPartitions).toBe(4);
    expect(config.uncleanLeaderElectionEnable).toBe(true);
    expect(config.logRetentionBytes).toBe(Number.MAX_SAFE_INTEGER);
    expect(config.logFlushIntervalMessages).toBe(1);
    expect(config.logFlushIntervalMs).toBeNull();
    expect(config.logLevel).toBe('debug');
  });

  it('takes the connection limits, idle and HTTP deadlines and the quota window, as Kafka names them', () => {
    const defaults = build().config;
    expect(defaults).toMatchObject({
      connectionLimits: { maxConnections: 2_147_483_647, maxConnectionsPerIp: 2_147_483_647 },
      connectionsMaxIdleMs: 600_000,
      httpHeadersTimeoutMs: 60_000,
      httpRequestTimeoutMs: 300_000,
      quotaWindow: { samples: 11, windowMs: 1000 },
    });
    expect(defaults.connectionLimits.perIpOverrides.size).toBe(0);
    const { config } = build({
      'max.connections': '100',
      'max.connections.per.ip': '5',
      'max.connections.per.ip.overrides': '10.0.0.1:50, [::1]:7',
      'connections.max.idle.ms': '1000',
      'quota.window.num': '3',
      'quota.window.size.seconds': '2',
    });
    expect(config.connectionLimits).toEqual({
      maxConnections: 100,
      maxConnectionsPerIp: 5,
      perIpOverrides: new Map([
        ['10.0.0.1', 50],
        ['::1', 7],
      ]),
    });
    expect(config.quotaWindow).toEqual({ samples: 3, windowMs: 2000 });
    // Back to Kafka's names, and through them to the same config.
    const properties = configToProperties(config);
    expect(properties.get('max.connections.per.ip.overrides')).toBe('10.0.0.1:50,[::1]:7');
    expect(properties.get('quota.window.size.seconds')).toBe('2');
    expect(() => build({ 'max.connections.per.ip.overrides': '10.0.0.1' })).toThrow(
      /max.connections.per.ip.overrides.*"10.0.0.1" is not host:count/,
    );
    expect(() => build({ 'connections.max.idle.ms': '3000000000' })).toThrow(/no more than 2147483647/);
    expect(() => build({ 'quota.window.num': '0' })).toThrow(/at least 1/);
  });

  it('takes the log cleaner settings and the topics compaction defaults, as Kafka names them', () => {
    const defaults = build().config;
    expect(defaults).toMatchObject({
      logCleanupPolicy: new Set(['delete']),
      logCleanerEnable: true,
      logCleanerThreads: 1,
      logCleanerBackoffMs: 15_000,
      logCleanerDedupeBufferSize: 134_217_728,
      logCleanerDeleteRetentionMs: 86_400_000,
      logCleanerMinCompactionLagMs: 0,
      logCleanerMaxCompactionLagMs: Number.MAX_SAFE_INTEGER,
      logCleanerMinCleanableRatio: 0.5,
      offsetsTopicSegmentBytes: 104_857_600,
    });
    const { config, warnings } = build({
      'log.cleanup.policy': 'compact, delete',
      'log.cleaner.enable': 'false',
      'log.cleaner.threads': '2',
      'log.cleaner.min.cleanable.ratio': ' 0.1 ',
    });
    expect(config.logCleanupPolicy).toEqual(new Set(['compact', 'delete']));
    expect(config.logCleanerEnable).toBe(false);
    expect(config.logCleanerMinCleanableRatio).toBe(0.1);
    expect(warnings).toEqual(['log.cleaner.threads=2: this platform runs one log cleaner per node.']);
    expect(configError(() => build({ 'log.cleanup.policy': 'compact,purge' })).message).toContain(
      'String must be one of: compact, delete',
    );
    expect(configError(() => build({ 'log.cleaner.min.cleanable.ratio': '1.5' })).message).toContain(
      'Value must be no more than 1',
    );
    expect(configError(() => build({ 'log.cleaner.min.cleanable.ratio': 'half' })).message).toContain(
      'Not a number of type DOUBLE',
    );
    expect(
      configError(() =>
        build({ 'log.cleaner.min.compaction.lag.ms': '10', 'log.cleaner.max.compaction.lag.ms': '5' }),
      ).key,
    ).toBe('log.cleaner.min.compaction.lag.ms');
  });

  it('resolves retention and roll from ms, else minutes, else hours', () => {
    expect(build().config.logRetentionMs).toBe(168 * 3_600_000);
    expect(build({ 'log.retention.hours': '1' }).config.logRetentionMs).toBe(3_600_000);
    expect(build({ 'log.retention.hours': '1', 'log.retention.minutes': '2' }).config.logRetentionMs).toBe(
      120_000,
    );
    expect(build({ 'log.retention.minutes': '2', 'log.retention.ms': '5' }).config.logRetentionMs).toBe(5);
    expect(build({ 'log.retention.ms': '-1' }).config.logRetentionMs).toBe(-1);
    expect(build({ 'log.retention.hours': '-1' }).config.logRetentionMs).toBe(-1);
    expect(build({ 'log.roll.hours': '2' }).config.logRollMs).toBe(7_200_000);
    expect(build({ 'log.roll.hours': '2', 'log.roll.ms': '10' }).config.logRollMs).toBe(10);
  });

  it('accepts wildcard binds when advertised explicitly, partially advertised listeners, IPv6 and port 0', () => {
    const { config } = build({
      listeners: 'CLIENT://0.0.0.0:8080,INTERNAL://[::1]:9093',
      'advertised.listeners': 'CLIENT://public.example:443',
      'controller.quorum.voters': '1@[::1]:9093',
    });
    expect(config.advertisedListeners).toEqual({
      client: { host: 'public.example', port: 443 },
      kafka: null,
      internal: { host: '::1', port: 9093 },
      named: new Map(),
    });
    expect(configToProperties(config).get('listeners')).toBe('CLIENT://0.0.0.0:8080,INTERNAL://[::1]:9093');
    const ephemeral = build({ listeners: 'CLIENT://127.0.0.1:0,INTERNAL://127.0.0.1:0' }).config;
    expect(ephemeral.listeners.client.port).toBe(0);
  });

  it('takes a PLAINTEXT listener for Kafka clients (not a named internal one), advertised like the others', () => {
    const { config } = build({
      listeners: 'CLIENT://10.0.0.1:8080,PLAINTEXT://0.0.0.0:9092,INTERNAL://10.0.0.1:9093',
      'advertised.listeners': 'PLAINTEXT://kafka1.example:9092',
    });
    expect(config.listeners.kafka).toEqual({ host: '0.0.0.0', port: 9092 });
    expect(config.advertisedListeners.kafka).toEqual({ host: 'kafka1.example', port: 9092 });
    expect(config.listeners.named.size).toBe(0);
    expect(configToProperties(config).get('advertised.listeners')).toBe(
      'CLIENT://10.0.0.1:8080,PLAINTEXT://kafka1.example:9092,INTERNAL://10.0.0.1:9093',
    );
    expect(() =>
      build({ listeners: 'CLIENT://10.0.0.1:8080,PLAINTEXT://0.0.0.0:9092,INTERNAL://10.0.0.1:9093' }),
    ).toThrow('listener PLAINTEXT binds to');
  });

  it('authentication: the SASL keys and ssl.principal.mapping.rules as Kafka names them', () => {
    const plain = build().config;
    expect(plain.saslEnabledMechanisms).toEqual(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']);
    expect([plain.saslServerMaxReceiveSize, plain.connectionsMaxReauthMs]).toEqual([524288, 0]);
    expect(plain.sslPrincipalMappingRules).toBe('DEFAULT');
    const sasl = build({
      listeners: 'CLIENT://10.0.0.1:8080,PLAINTEXT://10.0.0.1:9092,INTERNAL://10.0.0.1:9093',
      'listener.security.protocol.map': 'CLIENT:SASL_PLAINTEXT,PLAINTEXT:SASL_PLAINTEXT,INTERNAL:PLAINTEXT',
      'sasl.enabled.mechanisms': 'SCRAM-SHA-512,scram-sha-256',
      'connections.max.reauth.ms': '3600000',
      'ssl.principal.mapping.rules': 'RULE:^CN=([^,]*),.*$/$1/L,DEFAULT',
    }).config;
    expect(sasl.listenerSecurityProtocols.get('CLIENT')).toBe('SASL_PLAINTEXT');
    expect(sasl.listenerSecurityProtocols.get('PLAINTEXT')).toBe('SASL_PLAINTEXT');
    expect(sasl.saslEnabledMechanisms).toEqual(['SCRAM-SHA-512', 'SCRAM-SHA-256']);
    expect(sasl.connectionsMaxReauthMs).toBe(3_600_000);
    expect(configToProperties(sasl).get('sasl.enabled.mechanisms')).toBe('SCRAM-SHA-512,SCRAM-SHA-256');
    expect(configError(() => build({ 'sasl.enabled.mechanisms': 'GSSAPI' })).message).toContain(
      'mechanism GSSAPI is not served (served: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)',
    );
    expect(configError(() => build({ 'sasl.enabled.mechanisms': 'OAUTHBEARER' })).key).toBe(
      'sasl.enabled.mechanisms',
    );
    expect(
      configError(() =>
        build({ 'listener.security.protocol.map': 'CLIENT:SASL_PLAINTEXT', 'sasl.enabled.mechanisms': '' }),
      ).message,
    ).toContain('enable at least one mechanism');
    expect(configError(() => build({ 'ssl.principal.mapping.rules': 'RULE:x/y/Q' })).key).toBe(
      'ssl.principal.mapping.rules',
    );
    expect(configError(() => build({ 'connections.max.reauth.ms': '-1' })).key).toBe(
      'connections.max.reauth.ms',
    );
  });

  it('accepts named internal listeners, advertised elsewhere, and dials others on inter.broker.listener.name', () => {
    const { config } = build({
      listeners:
        'CLIENT://127.0.0.1:8080,INTERNAL://127.0.0.1:9093,FROM1://127.0.0.1:9101,from2://127.0.0.1:9102',
      'advertised.listeners': 'FROM2://proxy.example:7102',
      'inter.broker.listener.name': 'from1',
      'controller.quorum.voters': '1@127.0.0.1:9093',
    });
    expect(config.listeners.named).toEqual(
      new Map([
        ['FROM1', { host: '127.0.0.1', port: 9101 }],
        ['FROM2', { host: '127.0.0.1', port: 9102 }],
      ]),
    );
    expect(config.advertisedListeners.named).toEqual(
      new Map([
        ['FROM1', { host: '127.0.0.1', port: 9101 }],
        ['FROM2', { host: 'proxy.example', port: 7102 }],
      ]),
    );
    expect(config.interBrokerListenerName).toBe('FROM1');
    const properties = configToProperties(config);
    expect(properties.get('inter.broker.listener.name')).toBe('FROM1');
    expect(properties.get('advertised.listeners')).toBe(
      'CLIENT://127.0.0.1:8080,INTERNAL://127.0.0.1:9093,FROM1://127.0.0.1:9101,FROM2://proxy.example:7102',
    );
    expect(() => build({ listeners: 'CLIENT://h:1,INTERNAL://h:2,FROM1://h:2' })).toThrow(
      'INTERNAL and FROM1 need different ports',
    );
  });

  it('accepts broker-only and controller-only nodes', () => {
    const broker = build({ 'node.id': '4', 'process.roles': 'broker' }).config;
    expect([...broker.processRoles]).toEqual(['broker']);
    const controller = build({ 'process.roles': 'controller' }).config;
    expect([...controller.processRoles]).toEqual(['controller']);
    expect(build({ 'broker.id': '1' }).config.nodeId).toBe(1);
    expect(build({ 'node.id': null, 'broker.id': '1' }).config.nodeId).toBe(1);
  });

  it('warns (without failing) about unknown keys and doubtful settings', () => {
    const { warnings } = build({
      'num.io.threads': '8',
      'foo.bar': 'x',
      'min.insync.replicas': '2',
      'controller.quorum.voters': '1@node1.example:9093',
    });
    expect(warnings).toEqual([
      "The configuration 'num.io.threads' is a Kafka setting this platform does not use (ignored).",
      "The configuration 'foo.bar' was supplied but isn't a known config (ignored).",
      expect.stringContaining(
        'lists node 1 at node1.example:9093, but its INTERNAL listener is advertised as 10.0.0.1:9093',
      ),
      expect.stringContaining('min.insync.replicas (2) exceeds default.replication.factor (1)'),
    ]);
    const defaulted = build({ 'log.dirs': null });
    expect(defaulted.config.logDirs).toEqual(['/tmp/kafka-logs']);
    expect(defaulted.warnings).toEqual([expect.stringContaining('log.dirs is not set')]);
    expect(build({ 'log.dirs': null, 'log.dir': '/x' }).config.logDirs).toEqual(['/x']);
    expect(build({ 'metadata.log.dir': '/meta' }).config.metadataLogDir).toBe('/meta');
  });
});

describe('describeConfig and configToProperties', () => {
  it('lists every effective setting, sorted, like KafkaConfig values', () => {
    const lines = describeConfig(localClusterConfig(1));
    expect(lines[0]).toBe('NodeConfig values:');
    expect(lines).toContain('\tnode.id = 1');
    expect(lines).toContain('\tcluster.id = null');
    expect(lines).toContain(
      '\tlisteners = CLIENT://127.0.0.1:8081,PLAINTEXT://127.0.0.1:9092,INTERNAL://127.0.0.1:19091',
    );
    expect(lines).toContain(
      '\tcontroller.quorum.voters = 1@127.0.0.1:19091,2@127.0.0.1:19092,3@127.0.0.1:19093',
    );
    expect(lines).toContain('\tlog.retention.ms = 604800000');
    const keys = lines.slice(1).map((line) => line.slice(1, line.indexOf(' = ')));
    expect(keys).toEqual([...keys].sort());
  });

  it('covers every known key except the input-only aliases', () => {
    const described = [...configToProperties(localClusterConfig(1)).keys()];
    const known = [...NODE_CONFIG_KEYS.values()]
      .filter((definition) => definition.alias !== true)
      .map((d) => d.name);
    expect(described).toEqual(known);
  });

  it('round-trips: a config written back to properties builds the same config', () => {
    const settings = fc.record({
      'node.id': fc.constantFrom('1', '2', '3'),
      'num.partitions': fc.integer({ min: 1, max: 10_000 }).map(String),
      'log.retention.ms': fc.integer({ min: -1, max: 2 ** 40 }).map(String),
      'log.retention.bytes': fc.integer({ min: -1, max: Number.MAX_SAFE_INTEGER }).map(String),
      'unclean.leader.election.enable': fc.boolean().map(String),
      'broker.rack': fc.stringMatching(/^[a-z0-9-]{1,8}$/),
      'cluster.id': fc.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      'log.flush.interval.ms': fc.integer({ min: 0, max: 10_000 }).map(String),
      advertiseInternal: fc.boolean(),
    });
    fc.assert(
      fc.property(settings, ({ advertiseInternal, ...overrides }) => {
        const properties = localClusterProperties(Number(overrides['node.id']));
        for (const [key, value] of Object.entries(overrides)) properties.set(key, value);
        properties.set(
          'advertised.listeners',
          advertiseInternal
            ? `INTERNAL://localhost:${19090 + Number(overrides['node.id'])}`
            : 'CLIENT://a.example:80',
        );
        const { config } = buildNodeConfig(properties);
        const written = new Map<string, string>();
        for (const [key, value] of configToProperties(config)) if (value !== null) written.set(key, value);
        expect(buildNodeConfig(written).config).toEqual(config);
      }),
      { numRuns: 200 },
    );
  });
});
