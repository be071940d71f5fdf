import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clusterMain } from '../../src/cli/cluster.ts';
import { bufferedIo } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import { CLUSTER_ID, FakeCluster } from './fake-cluster.ts';

let cluster: FakeCluster;
let server: string;

beforeEach(async () => {
  cluster = new FakeCluster();
  server = await cluster.start();
});

afterEach(async () => {
  await cluster.close();
});

async function run(...args: string[]) {
  const io = bufferedIo();
  const code = await clusterMain([...args, '--bootstrap-server', server], io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

const BROKER_TABLE = [
  'ID\tHOST     \tPORT\tRACK  \tSTATE   \t',
  '1 \t127.0.0.1\t8081\tnull  \tunfenced\t',
  '2 \t127.0.0.1\t8082\tnull  \tunfenced\t',
  '3 \t127.0.0.1\t8083\track-b\tfenced  \t',
];

describe('cluster status', () => {
  it('prints the cluster id, the active controller and every broker', async () => {
    expect(await run('status')).toEqual({
      code: 0,
      stdout: [
        `Cluster ID: ${CLUSTER_ID}`,
        'Controller: 1 (metadata quorum leader, epoch 5)',
        'Brokers: 3 (2 unfenced, 1 fenced)',
        ...BROKER_TABLE,
      ],
      stderr: [],
    });
  });

  it('is the default subcommand', async () => {
    expect((await run()).stdout[0]).toBe(`Cluster ID: ${CLUSTER_ID}`);
  });

  it("falls back to the cluster's controller link when the quorum cannot be described", async () => {
    cluster.override = (request) =>
      request.path.endsWith('/metadata-quorum')
        ? { status: 404, body: { error_code: 404, message: 'HTTP 404' } }
        : undefined;
    expect((await run('status')).stdout[1]).toBe('Controller: 1');
  });

  it('says when a broker state is unknown', async () => {
    cluster.override = (request) =>
      request.path.endsWith('/brokers')
        ? {
            status: 200,
            body: { kind: 'KafkaBrokerList', data: [{ broker_id: 7, host: 'h', port: 1, rack: null }] },
          }
        : undefined;
    expect((await run('status')).stdout.slice(2)).toEqual([
      'Brokers: 1',
      'ID\tHOST\tPORT\tRACK\tSTATE  \t',
      '7 \th   \t1   \tnull\tunknown\t',
    ]);
  });
});

describe('cluster cluster-id', () => {
  it('prints the id as kafka-cluster.sh does', async () => {
    expect(await run('cluster-id')).toEqual({ code: 0, stdout: [`Cluster ID: ${CLUSTER_ID}`], stderr: [] });
  });

  it('refuses an unknown subcommand', async () => {
    const result = await run('unregister');
    expect(result.code).toBe(2);
    expect(result.stderr[1]).toBe(
      "kafka-cluster: error: argument command: invalid choice: 'unregister' (choose from 'status', 'cluster-id')",
    );
  });
});

describe('main', () => {
  it('dispatches to the tool named first', async () => {
    const io = bufferedIo();
    expect(await main(['cluster', 'cluster-id', '--bootstrap-server', server], io)).toBe(0);
    expect(io.stdout).toEqual([`Cluster ID: ${CLUSTER_ID}`]);
    const kafkaName = bufferedIo();
    expect(await main(['kafka-topics.sh', '--bootstrap-server', server, '--list'], kafkaName)).toBe(0);
    expect(kafkaName.stdout).toEqual(['__consumer_offsets', 'orders', 'payments']);
  });

  it('refuses an unknown tool and a missing one', async () => {
    const io = bufferedIo();
    expect(await main(['kafka-streams'], io)).toBe(2);
    expect(io.stderr[0]).toBe("Unknown tool 'kafka-streams'.");
    expect(await main([], bufferedIo())).toBe(2);
  });
});
