import { afterEach, describe, expect, it } from 'vitest';
import { CliError, UsageError } from '../../src/cli/errors.ts';
import { parseBootstrapServers, RestClient } from '../../src/cli/http-client.ts';
import { bufferedIo } from '../../src/cli/io.ts';
import { topicsMain } from '../../src/cli/topics.ts';
import { FakeCluster, refusedAddress } from './fake-cluster.ts';

const clusters: FakeCluster[] = [];
const clients: RestClient[] = [];

async function startCluster(): Promise<{ cluster: FakeCluster; address: string }> {
  const cluster = new FakeCluster();
  clusters.push(cluster);
  return { cluster, address: await cluster.start() };
}

function client(bootstrapServers: string): RestClient {
  const created = new RestClient({ bootstrapServers });
  clients.push(created);
  return created;
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((created) => created.close()));
  await Promise.all(clusters.splice(0).map((cluster) => cluster.close()));
});

describe('parseBootstrapServers', () => {
  it('turns host:port lists into base URLs', () => {
    expect(parseBootstrapServers('127.0.0.1:8081, localhost:8082,,https://kafka.example:443')).toEqual([
      'http://127.0.0.1:8081',
      'http://localhost:8082',
      'https://kafka.example',
    ]);
    expect(parseBootstrapServers('[::1]:8081')).toEqual(['http://[::1]:8081']);
  });

  it("refuses entries without a port, as Kafka's client does", () => {
    expect(() => parseBootstrapServers('localhost')).toThrow(UsageError);
    expect(() => parseBootstrapServers('localhost')).toThrow('Invalid url in bootstrap.servers: localhost');
    expect(() => parseBootstrapServers(' , ')).toThrow(
      'No resolvable bootstrap urls given in bootstrap.servers',
    );
  });
});

describe('RestClient', () => {
  it('fails over to the next bootstrap server when a connection is refused, then stays there', async () => {
    const dead = await refusedAddress();
    const { cluster, address } = await startCluster();
    const rest = client(`${dead},${address}`);
    expect(await rest.clusterId()).toBe('MkU3OEVBNTcwNTJENDM2Qk');
    expect(rest.currentServer).toBe(`http://${address}`);
    await rest.get(await rest.clusterPath('/topics'));
    expect(cluster.requests.map((request) => request.path)).toEqual([
      '/v3/clusters',
      '/v3/clusters/MkU3OEVBNTcwNTJENDM2Qk/topics',
    ]);
  });

  it('runs a whole command through the second server', async () => {
    const dead = await refusedAddress();
    const { address } = await startCluster();
    const io = bufferedIo();
    expect(await topicsMain(['--list', '--bootstrap-server', `${dead},${address}`], io)).toBe(0);
    expect(io.stdout).toEqual(['__consumer_offsets', 'orders', 'payments']);
  });

  it('names every server it could not reach', async () => {
    const first = await refusedAddress();
    const second = await refusedAddress();
    const io = bufferedIo();
    expect(await topicsMain(['--list', '--bootstrap-server', `${first},${second}`], io)).toBe(1);
    expect(io.stderr).toHaveLength(1);
    expect(io.stderr[0]).toMatch(
      new RegExp(
        `^Error while executing topic command : Could not connect to any bootstrap server: ${first} \\(.*ECONNREFUSED.*\\), ${second} \\(.*ECONNREFUSED.*\\)$`,
      ),
    );
  });

  it('does not fail over on a server error: the server answered', async () => {
    const first = await startCluster();
    const second = await startCluster();
    first.cluster.override = () => ({ status: 500, body: { error_code: 50002, message: 'Internal error' } });
    const rest = client(`${first.address},${second.address}`);
    const failure = await rest.clusterId().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(CliError);
    expect(failure).toMatchObject({
      kind: 'server',
      status: 500,
      errorCode: 50002,
      message: 'Internal error',
    });
    expect(second.cluster.requests).toEqual([]);
  });

  it('reports an error status without a JSON body', async () => {
    const { cluster, address } = await startCluster();
    cluster.override = () => ({ status: 502 });
    const failure = await client(address)
      .get('/v3/clusters')
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({
      kind: 'server',
      status: 502,
      errorCode: null,
      message: 'GET /v3/clusters failed with HTTP 502',
    });
  });

  it('names the field when an answer has an unexpected shape', async () => {
    const { cluster, address } = await startCluster();
    cluster.override = () => ({ status: 200, body: { kind: 'KafkaClusterList', data: [{ id: 'x' }] } });
    await expect(client(address).clusterId()).rejects.toThrow(
      "Unexpected response from the server: field 'cluster_id' is not a string (in GET /v3/clusters)",
    );
  });
});
