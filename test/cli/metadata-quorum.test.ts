import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bufferedIo } from '../../src/cli/io.ts';
import { metadataQuorumMain } from '../../src/cli/metadata-quorum.ts';
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

const NOW_MS = 1700000001000;

async function quorum(...args: string[]) {
  const io = bufferedIo();
  const code = await metadataQuorumMain(['--bootstrap-server', server, ...args], io, () => NOW_MS);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

const STATUS_LINES = [
  `ClusterId:              ${CLUSTER_ID}`,
  'LeaderId:               1',
  'LeaderEpoch:            5',
  'HighWatermark:          1234',
  'MaxFollowerLag:         4',
  'MaxFollowerLagTimeMs:   400',
  'CurrentVoters:          [1,2,3]',
  'CurrentObservers:       [4]',
];

describe('metadata-quorum describe --status', () => {
  it("prints Kafka's quorum summary", async () => {
    expect(await quorum('describe', '--status')).toEqual({ code: 0, stdout: STATUS_LINES, stderr: [] });
  });

  it('is what describe alone prints', async () => {
    expect((await quorum('describe')).stdout).toEqual(STATUS_LINES);
  });

  it('accepts the options before the subcommand, as Kafka users type them', async () => {
    const io = bufferedIo();
    expect(await metadataQuorumMain(['describe', '--status', '--bootstrap-server', server], io)).toBe(0);
    expect(io.stdout).toEqual(STATUS_LINES);
  });

  it('reports lags as unknown while there is no leader', async () => {
    cluster.quorum = { ...cluster.quorum, leader_id: -1, max_follower_lag: 0 };
    expect((await quorum('describe', '--status')).stdout.slice(1, 6)).toEqual([
      'LeaderId:               -1',
      'LeaderEpoch:            5',
      'HighWatermark:          1234',
      'MaxFollowerLag:         0',
      'MaxFollowerLagTimeMs:   -1',
    ]);
  });
});

describe('metadata-quorum describe --replication', () => {
  it("prints Kafka's replication table: leader, followers, observers", async () => {
    expect(await quorum('describe', '--replication')).toEqual({
      code: 0,
      stdout: [
        'NodeId\tLogEndOffset\tLag\tLastFetchTimestamp\tLastCaughtUpTimestamp\tStatus  \t',
        '1     \t1234        \t0  \t1700000000500     \t1700000000500        \tLeader  \t',
        '2     \t1230        \t4  \t1700000000400     \t1700000000100        \tFollower\t',
        '3     \t1234        \t0  \t1700000000450     \t1700000000450        \tFollower\t',
        '4     \t1200        \t34 \t-1                \t-1                   \tObserver\t',
      ],
      stderr: [],
    });
  });

  it('prints timestamps as "ms ago" with --human-readable', async () => {
    expect((await quorum('describe', '--replication', '--human-readable')).stdout).toEqual([
      'NodeId\tLogEndOffset\tLag\tLastFetchTimestamp\tLastCaughtUpTimestamp\tStatus  \t',
      '1     \t1234        \t0  \t500 ms ago        \t500 ms ago           \tLeader  \t',
      '2     \t1230        \t4  \t600 ms ago        \t900 ms ago           \tFollower\t',
      '3     \t1234        \t0  \t550 ms ago        \t550 ms ago           \tFollower\t',
      '4     \t1200        \t34 \t-1                \t-1                   \tObserver\t',
    ]);
  });
});

describe('metadata-quorum argument checks', () => {
  it('needs the describe subcommand', async () => {
    const result = await quorum();
    expect(result.code).toBe(2);
    expect(result.stderr[1]).toBe('kafka-metadata-quorum: error: too few arguments');
    expect((await quorum('show')).stderr[1]).toBe(
      "kafka-metadata-quorum: error: argument command: invalid choice: 'show' (choose from 'describe')",
    );
  });

  it("refuses Kafka's invalid combinations", async () => {
    expect(await quorum('describe', '--status', '--replication')).toEqual({
      code: 2,
      stdout: [],
      stderr: ['Only one of --status or --replication should be specified with describe sub-command'],
    });
    expect((await quorum('describe', '--status', '--human-readable')).stderr).toEqual([
      'The option --human-readable is only supported along with --replication',
    ]);
  });

  it('prints the server error and exits 1', async () => {
    cluster.override = (request) =>
      request.path.endsWith('/metadata-quorum')
        ? { status: 500, body: { error_code: 50002, message: 'The metadata quorum has no leader.' } }
        : undefined;
    expect(await quorum('describe')).toEqual({
      code: 1,
      stdout: [],
      stderr: ['The metadata quorum has no leader.'],
    });
  });

  // Was: a 503 printed at once. Now, as Kafka's AdminClient, a retriable answer is asked again until
  // default.api.timeout.ms, then reported with the last answer.
  it('asks again after a retriable error until default.api.timeout.ms, then prints the last answer', async () => {
    let asked = 0;
    cluster.override = (request) => {
      if (!request.path.endsWith('/metadata-quorum')) return undefined;
      asked++;
      return { status: 503, body: { error_code: 50301, message: 'The metadata quorum has no leader.' } };
    };
    const config = join(mkdtempSync(join(tmpdir(), 'quorum-')), 'client.properties');
    writeFileSync(config, 'default.api.timeout.ms=400\nretry.backoff.ms=50\n');
    const result = await quorum('describe', '--command-config', config);
    expect(result.code).toBe(1);
    expect(result.stdout).toEqual([]);
    expect(result.stderr).toHaveLength(1);
    expect(result.stderr[0]).toMatch(/within .*400 ms.*The metadata quorum has no leader\.$/);
    expect(asked).toBeGreaterThan(1);
  });

  it('succeeds when the retriable error passes before the timeout', async () => {
    let refusals = 2;
    cluster.override = (request) => {
      if (!request.path.endsWith('/metadata-quorum') || refusals-- <= 0) return undefined;
      return { status: 503, body: { error_code: 50301, message: 'The metadata quorum has no leader.' } };
    };
    expect(await quorum('describe')).toEqual({ code: 0, stdout: STATUS_LINES, stderr: [] });
  });
});
