// A fake of the REST v3 API the command-line tools call: a node:http server over an in-memory cluster
// with canned but realistic data (three brokers, one fenced; a replicated topic with an under-replicated
// partition; an internal topic; a leaderless partition). It records every request so tests can assert
// what was sent. It speaks HTTP/2 without TLS (h2c), as the nodes' client API does and the SDK's Admin,
// which the tools use, asks for.

import { createServer } from 'node:http';
import type { Http2Server, Http2ServerRequest, Http2ServerResponse, ServerHttp2Session } from 'node:http2';
import { createServer as createH2cServer } from 'node:http2';
import type { AddressInfo } from 'node:net';

export const CLUSTER_ID = 'MkU3OEVBNTcwNTJENDM2Qk';

export interface FakePartition {
  partition_id: number;
  leader_id: number;
  replicas: number[];
  isr: number[];
  leader_epoch: number;
}

export interface FakeConfig {
  name: string;
  value: string;
  is_default: boolean;
  source: string;
}

export interface FakeTopic {
  topic_id: string;
  is_internal: boolean;
  partitions: FakePartition[];
  configs: FakeConfig[];
}

export interface FakeBroker {
  broker_id: number;
  host: string;
  port: number;
  rack: string | null;
  fenced: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  body: unknown;
}

/** A reply that replaces the fake's own answer for one route (to inject errors). */
export type Override = (request: RecordedRequest) => { status: number; body?: unknown } | undefined;

const DEFAULT_CONFIGS: readonly FakeConfig[] = [
  { name: 'cleanup.policy', value: 'delete', is_default: true, source: 'DEFAULT_CONFIG' },
  { name: 'min.insync.replicas', value: '1', is_default: true, source: 'DEFAULT_CONFIG' },
  { name: 'retention.ms', value: '604800000', is_default: true, source: 'DEFAULT_CONFIG' },
  { name: 'segment.bytes', value: '1073741824', is_default: true, source: 'DEFAULT_CONFIG' },
];

function configsWith(overrides: Record<string, string>): FakeConfig[] {
  return DEFAULT_CONFIGS.map((config) =>
    config.name in overrides
      ? { ...config, value: overrides[config.name]!, is_default: false, source: 'DYNAMIC_TOPIC_CONFIG' }
      : { ...config },
  );
}

function partition(id: number, leader: number, replicas: number[], isr: number[]): FakePartition {
  return { partition_id: id, leader_id: leader, replicas, isr, leader_epoch: 3 };
}

export function cannedTopics(): Map<string, FakeTopic> {
  return new Map<string, FakeTopic>([
    [
      'orders',
      {
        topic_id: '6f1c1f4e-8a55-4d7e-9f0e-0d2b8c3a1b2c',
        is_internal: false,
        // Listed out of order: the tool sorts by partition id.
        partitions: [
          partition(1, 2, [2, 3, 1], [2, 1]),
          partition(0, 1, [1, 2, 3], [1, 2, 3]),
          partition(2, 3, [3, 1, 2], [3, 1, 2]),
        ],
        configs: configsWith({ 'min.insync.replicas': '2', 'retention.ms': '86400000' }),
      },
    ],
    [
      'payments',
      {
        topic_id: '0b7e2a52-3c0f-4a8e-8d7e-5a1f0c9b6d31',
        is_internal: false,
        partitions: [partition(0, -1, [2], [])],
        configs: configsWith({}),
      },
    ],
    [
      '__consumer_offsets',
      {
        topic_id: 'c2a5d3e1-7b44-4c0b-9a61-2f8e4d7c9b10',
        is_internal: true,
        partitions: [partition(0, 1, [1, 2, 3], [1, 2, 3])],
        configs: configsWith({ 'cleanup.policy': 'compact' }),
      },
    ],
  ]);
}

export function cannedBrokers(): FakeBroker[] {
  return [
    { broker_id: 1, host: '127.0.0.1', port: 8081, rack: null, fenced: false },
    { broker_id: 2, host: '127.0.0.1', port: 8082, rack: null, fenced: false },
    { broker_id: 3, host: '127.0.0.1', port: 8083, rack: 'rack-b', fenced: true },
  ];
}

export function cannedQuorum(): Record<string, unknown> {
  return {
    kind: 'KafkaMetadataQuorum',
    cluster_id: CLUSTER_ID,
    leader_id: 1,
    leader_epoch: 5,
    high_watermark: 1234,
    max_follower_lag: 4,
    voters: [
      {
        replica_id: 1,
        log_end_offset: 1234,
        lag: 0,
        last_fetch_timestamp: 1700000000500,
        last_caught_up_timestamp: 1700000000500,
      },
      {
        replica_id: 2,
        log_end_offset: 1230,
        lag: 4,
        last_fetch_timestamp: 1700000000400,
        last_caught_up_timestamp: 1700000000100,
      },
      {
        replica_id: 3,
        log_end_offset: 1234,
        lag: 0,
        last_fetch_timestamp: 1700000000450,
        last_caught_up_timestamp: 1700000000450,
      },
    ],
    observers: [
      {
        replica_id: 4,
        log_end_offset: 1200,
        lag: 34,
        last_fetch_timestamp: null,
        last_caught_up_timestamp: null,
      },
    ],
  };
}

function error(status: number, errorCode: number, message: string): { status: number; body: unknown } {
  return { status, body: { error_code: errorCode, message } };
}

export class FakeCluster {
  readonly topics = cannedTopics();
  readonly brokers = cannedBrokers();
  quorum: Record<string, unknown> = cannedQuorum();
  readonly requests: RecordedRequest[] = [];
  /** Tried before the fake's own routes. */
  override: Override | null = null;
  readonly #server: Http2Server;
  readonly #sessions = new Set<ServerHttp2Session>();

  constructor() {
    this.#server = createH2cServer((request, response) => {
      void this.#handle(request, response);
    });
    this.#server.on('session', (session: ServerHttp2Session) => {
      this.#sessions.add(session);
      session.once('close', () => this.#sessions.delete(session));
    });
  }

  /** Listens on an ephemeral port of 127.0.0.1; resolves to "127.0.0.1:port". */
  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const session of this.#sessions) session.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /**
   * The requests other than discovery: the cluster id (`GET /v3/clusters`) and the brokers to fail over
   * to (`POST /v1/metadata`, which the fake does not serve).
   */
  actions(): RecordedRequest[] {
    return this.requests.filter(
      (request) =>
        !(request.method === 'GET' && request.path === '/v3/clusters') &&
        !(request.method === 'POST' && request.path === '/v1/metadata'),
    );
  }

  async #handle(request: Http2ServerRequest, response: Http2ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const json = request.headers['content-type'] === 'application/json';
    const recorded: RecordedRequest = {
      method: request.method,
      path: request.url,
      body: text === '' || !json ? undefined : (JSON.parse(text) as unknown),
    };
    this.requests.push(recorded);
    const reply = this.override?.(recorded) ?? this.#route(recorded);
    response.statusCode = reply.status;
    if (reply.body === undefined) {
      response.end();
      return;
    }
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify(reply.body));
  }

  #route(request: RecordedRequest): { status: number; body?: unknown } {
    const { method, body } = request;
    const path = request.path.split('?')[0]!;
    if (method === 'GET' && path === '/v3/clusters') {
      return { status: 200, body: { kind: 'KafkaClusterList', metadata: {}, data: [this.#clusterData()] } };
    }
    const prefix = `/v3/clusters/${CLUSTER_ID}`;
    if (!path.startsWith(prefix)) return error(404, 404, 'HTTP 404 Not Found');
    const rest = path.slice(prefix.length);
    if (method === 'GET' && rest === '') return { status: 200, body: this.#clusterData() };
    if (method === 'GET' && rest === '/brokers') {
      return {
        status: 200,
        body: {
          kind: 'KafkaBrokerList',
          metadata: {},
          data: this.brokers.map((broker) => ({ kind: 'KafkaBroker', cluster_id: CLUSTER_ID, ...broker })),
        },
      };
    }
    if (method === 'GET' && rest === '/metadata-quorum') return { status: 200, body: this.quorum };
    if (rest === '/topics') {
      if (method === 'GET') {
        const data = [...this.topics].map(([name, topic]) => this.#topicData(name, topic));
        return { status: 200, body: { kind: 'KafkaTopicList', metadata: {}, data } };
      }
      if (method === 'POST') return this.#createTopic(body as Record<string, unknown>);
    }
    const match = /^\/topics\/([^/]+)(\/partitions|\/configs|\/configs:alter)?$/.exec(rest);
    if (match === null) return error(404, 404, 'HTTP 404 Not Found');
    const name = decodeURIComponent(match[1]!);
    const topic = this.topics.get(name);
    if (topic === undefined) return error(404, 40401, `This server does not host this topic-partition.`);
    switch (`${method} ${match[2] ?? ''}`) {
      case 'GET ':
        return { status: 200, body: this.#topicData(name, topic) };
      case 'DELETE ':
        this.topics.delete(name);
        return { status: 204 };
      case 'PATCH ': {
        const count = (body as { partitions_count: number }).partitions_count;
        if (count <= topic.partitions.length) {
          return error(
            400,
            40002,
            `Topic currently has ${topic.partitions.length} partitions, which is higher than the requested ${count}.`,
          );
        }
        for (let id = topic.partitions.length; id < count; id++)
          topic.partitions.push(partition(id, 1, [1], [1]));
        return { status: 200, body: this.#topicData(name, topic) };
      }
      case 'GET /partitions': {
        // The server's shape: Confluent's `replicas` link, plus the ids in `replica_ids`.
        const data = topic.partitions.map(({ replicas, ...rest }) => ({
          kind: 'KafkaPartition',
          cluster_id: CLUSTER_ID,
          topic_name: name,
          ...rest,
          replicas: { related: `${prefix}/topics/${name}/partitions/${rest.partition_id}/replicas` },
          replica_ids: replicas,
        }));
        return { status: 200, body: { kind: 'KafkaPartitionList', metadata: {}, data } };
      }
      case 'GET /configs':
        return { status: 200, body: { kind: 'KafkaTopicConfigList', metadata: {}, data: topic.configs } };
      case 'POST /configs:alter':
        return { status: 204 };
      default:
        return error(405, 405, 'HTTP 405 Method Not Allowed');
    }
  }

  #createTopic(body: Record<string, unknown>): { status: number; body?: unknown } {
    const name = body.topic_name as string;
    if (this.topics.has(name)) return error(400, 40002, `Topic '${name}' already exists.`);
    const configs = (body.configs as { name: string }[] | undefined) ?? [];
    const unknown = configs.find((config) => !DEFAULT_CONFIGS.some((known) => known.name === config.name));
    if (unknown !== undefined) return error(400, 40002, `Unknown topic config name: ${unknown.name}`);
    const count = (body.partitions_count as number | undefined) ?? 1;
    const replicationFactor = (body.replication_factor as number | undefined) ?? 1;
    const replicas = [1, 2, 3].slice(0, replicationFactor);
    const topic: FakeTopic = {
      topic_id: '11111111-2222-4333-8444-555555555555',
      is_internal: false,
      partitions: Array.from({ length: count }, (_, id) => partition(id, replicas[0]!, replicas, replicas)),
      configs: configsWith({}),
    };
    this.topics.set(name, topic);
    return { status: 201, body: this.#topicData(name, topic) };
  }

  #clusterData(): Record<string, unknown> {
    return {
      kind: 'KafkaCluster',
      metadata: { self: `/v3/clusters/${CLUSTER_ID}` },
      cluster_id: CLUSTER_ID,
      controller: { related: `/v3/clusters/${CLUSTER_ID}/brokers/1` },
    };
  }

  #topicData(name: string, topic: FakeTopic): Record<string, unknown> {
    return {
      kind: 'KafkaTopic',
      cluster_id: CLUSTER_ID,
      topic_name: name,
      topic_id: topic.topic_id,
      is_internal: topic.is_internal,
      replication_factor: topic.partitions[0]?.replicas.length ?? 0,
      partitions_count: topic.partitions.length,
    };
  }
}

/** An address nothing listens on: connecting to it is refused. */
export async function refusedAddress(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `127.0.0.1:${port}`;
}
