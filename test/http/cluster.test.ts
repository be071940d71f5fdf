// Clusters, brokers, the metadata quorum, operations routes and what no route answers.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KafkaError } from '../../src/common/kafka-errors.ts';
import { brokerEpoch, brokerId } from '../../src/metadata/ids.ts';
import { CLUSTER_ID } from './fake-node.ts';
import type { Harness } from './harness.ts';
import { BASE, ORIGIN, newHarness } from './harness.ts';

let h: Harness;
beforeEach(() => {
  h = newHarness();
});
afterEach(async () => {
  await h.close();
});

const CLUSTER_SELF = `${ORIGIN}${BASE}`;
const clusterData = {
  kind: 'KafkaCluster',
  metadata: { self: CLUSTER_SELF, resource_name: `crn:///kafka=${CLUSTER_ID}` },
  cluster_id: CLUSTER_ID,
  controller: { related: `${CLUSTER_SELF}/brokers/2` },
  acls: { related: `${CLUSTER_SELF}/acls` },
  brokers: { related: `${CLUSTER_SELF}/brokers` },
  broker_configs: { related: `${CLUSTER_SELF}/broker-configs` },
  consumer_groups: { related: `${CLUSTER_SELF}/consumer-groups` },
  topics: { related: `${CLUSTER_SELF}/topics` },
  partition_reassignments: { related: `${CLUSTER_SELF}/topics/-/partitions/-/reassignment` },
  metadata_quorum: { related: `${CLUSTER_SELF}/metadata-quorum` },
};

describe('clusters', () => {
  it('GET /v3/clusters lists this cluster', async () => {
    const reply = await h.get('/v3/clusters');
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({
      kind: 'KafkaClusterList',
      metadata: { self: `${ORIGIN}/v3/clusters`, next: null },
      data: [clusterData],
    });
  });

  it('GET /v3/clusters/{c} shows it, with the active controller', async () => {
    const reply = await h.get(BASE);
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual(clusterData);
  });

  it('answers another cluster id with 404 / 404', async () => {
    for (const url of [
      '/v3/clusters/nope',
      '/v3/clusters/nope/brokers',
      '/v3/clusters/nope/metadata-quorum',
    ]) {
      const reply = await h.get(url);
      expect(reply.status).toBe(404);
      expect(reply.json).toEqual({ error_code: 404, message: 'Cluster nope cannot be found.' });
    }
  });
});

describe('brokers', () => {
  it('lists brokers by id with their CLIENT listener', async () => {
    const reply = await h.get(`${BASE}/brokers`);
    expect(reply.status).toBe(200);
    expect(reply.json.kind).toBe('KafkaBrokerList');
    expect(reply.json.metadata).toEqual({ self: `${CLUSTER_SELF}/brokers`, next: null });
    expect(reply.json.data?.map((b) => [b.broker_id, b.host, b.port, b.rack])).toEqual([
      [1, 'localhost', 8081, 'rack-1'],
      [2, 'localhost', 8082, 'rack-2'],
      [3, 'localhost', 8083, null],
    ]);
  });

  it('shows one broker', async () => {
    const reply = await h.get(`${BASE}/brokers/2`);
    expect(reply.json).toEqual({
      kind: 'KafkaBroker',
      metadata: { self: `${CLUSTER_SELF}/brokers/2`, resource_name: `crn:///kafka=${CLUSTER_ID}/broker=2` },
      cluster_id: CLUSTER_ID,
      broker_id: 2,
      host: 'localhost',
      port: 8082,
      rack: 'rack-2',
      fenced: false,
      in_controlled_shutdown: false,
      configs: { related: `${CLUSTER_SELF}/brokers/2/configs` },
      partition_replicas: { related: `${CLUSTER_SELF}/brokers/2/partition-replicas` },
    });
  });

  it('shows fencing and controlled shutdown', async () => {
    const broker = h.node.image().brokers.get(brokerId(3))!;
    h.node.applyRecords([
      {
        type: 'brokerRegistrationChange',
        brokerId: broker.id,
        brokerEpoch: brokerEpoch(broker.epoch),
        fenced: true,
        inControlledShutdown: true,
      },
    ]);
    expect((await h.get(`${BASE}/brokers/3`)).json).toMatchObject({
      fenced: true,
      in_controlled_shutdown: true,
    });
  });

  it.each(['4', '0', '-1', 'one', '2147483648', '1e3'])('answers broker %s with 404 / 404', async (id) => {
    const reply = await h.get(`${BASE}/brokers/${id}`);
    expect(reply.status).toBe(404);
    expect(reply.json).toEqual({ error_code: 404, message: `Broker ${id} cannot be found.` });
  });
});

describe('metadata quorum', () => {
  it('describes the quorum with lags against the leader', async () => {
    const reply = await h.get(`${BASE}/metadata-quorum`);
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({
      kind: 'KafkaMetadataQuorum',
      metadata: { self: `${CLUSTER_SELF}/metadata-quorum`, resource_name: null },
      cluster_id: CLUSTER_ID,
      leader_id: 1,
      leader_epoch: 4,
      high_watermark: 120,
      max_follower_lag: 25,
      voters: [
        {
          replica_id: 1,
          log_end_offset: 125,
          lag: 0,
          last_fetch_timestamp: 1_700_000_000_000,
          last_caught_up_timestamp: 1_700_000_000_000,
        },
        {
          replica_id: 2,
          log_end_offset: 120,
          lag: 5,
          last_fetch_timestamp: 1_699_999_999_900,
          last_caught_up_timestamp: 1_699_999_999_800,
        },
        {
          replica_id: 3,
          log_end_offset: 100,
          lag: 25,
          last_fetch_timestamp: null,
          last_caught_up_timestamp: null,
        },
      ],
      observers: [
        {
          replica_id: 4,
          log_end_offset: 124,
          lag: 1,
          last_fetch_timestamp: 1_699_999_999_950,
          last_caught_up_timestamp: null,
        },
      ],
    });
  });

  it('answers a timeout of the quorum leader with 500 / 50003', async () => {
    h.node.failWith = new KafkaError('REQUEST_TIMED_OUT', 'Timed out waiting for the quorum leader.');
    const reply = await h.get(`${BASE}/metadata-quorum`);
    expect(reply.status).toBe(500);
    expect(reply.json).toEqual({ error_code: 50003, message: 'Timed out waiting for the quorum leader.' });
  });

  it('answers an unexpected failure with 500 / 50002, logs it and leaks nothing', async () => {
    h.node.quorumFailure = new Error('secret detail at /srv/controller.ts:42');
    const reply = await h.get(`${BASE}/metadata-quorum`);
    expect(reply.status).toBe(500);
    expect(reply.json).toEqual({ error_code: 50002, message: 'Internal server error' });
    expect(reply.text).not.toContain('secret');
    const logged = h.logs.find((line) => line.msg === 'request failed unexpectedly');
    expect(logged?.level).toBe(50);
    expect(JSON.stringify(logged)).toContain('secret detail');
  });
});

describe('operations', () => {
  it('GET /health is 200', async () => {
    const reply = await h.get('/health');
    expect([reply.status, reply.json]).toEqual([200, { status: 'ok' }]);
  });

  it('GET /metrics answers Prometheus text from node.metrics()', async () => {
    const reply = await h.get('/metrics');
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(reply.text).toMatch(/^# HELP kraftling_metadata_offset /m);
    expect(reply.text).toMatch(/^kraftling_metadata_offset \d+$/m);
  });

  it('GET /ready follows node.isReady()', async () => {
    expect((await h.get('/ready')).json).toEqual({ status: 'ready' });
    h.node.ready = false;
    const reply = await h.get('/ready');
    expect(reply.status).toBe(503);
    expect(reply.json).toEqual({
      error_code: 50301,
      message: 'Node 1 is not ready: it has not caught up with the metadata log or is fenced.',
    });
  });
});

describe('what no route answers', () => {
  it.each(['/', '/v2/topics', '/v3', '/v3/clusters/x/y/z', `${BASE}/topics/orders/partitions/0/offsets`])(
    'GET %s is 404 / 404',
    async (url) => {
      const reply = await h.get(url);
      expect(reply.status).toBe(404);
      expect(reply.json).toEqual({ error_code: 404, message: 'HTTP 404 Not Found' });
    },
  );

  it('a known path with another method is 405 with Allow', async () => {
    const reply = await h.request({ method: 'PUT', url: `${BASE}/topics?x=1` });
    expect(reply.status).toBe(405);
    expect(reply.headers.allow).toBe('GET, HEAD, POST');
    expect(reply.json).toEqual({ error_code: 405, message: 'HTTP 405 Method Not Allowed' });
    expect((await h.request({ method: 'POST', url: '/health' })).headers.allow).toBe('GET, HEAD');
  });

  it('HEAD of a GET route works', async () => {
    const reply = await h.request({ method: 'HEAD', url: `${BASE}/brokers` });
    expect(reply.status).toBe(200);
  });
});
