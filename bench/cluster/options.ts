// The benchmark's command line: what to measure, how long, against which cluster. --quick changes the
// defaults (not the options given explicitly).
import { parseArgs } from 'node:util';
import type { RestRoute } from './produce-rest.ts';
import { type Acks, type LoadShape, PRODUCE_PATHS, type ProducePath } from './workload.ts';

export const USAGE = `Usage: npm run bench -- [options]

  --quick                   a small subset (100 B, acks=all, 6 partitions, each path, 5 s each; 3 kills): under 2 minutes
  --bootstrap URL           measure a running cluster (its REST URL, e.g. http://127.0.0.1:8081) instead of starting one
  --kafka-bootstrap LIST    its Kafka listeners, host:port,... (default with --bootstrap: 127.0.0.1:9092,127.0.0.1:9093,127.0.0.1:9094)
  --vs nats                 the same produce workload against a three-node NATS JetStream R3 file stream, and the ratio
  --seconds S               seconds per produce measurement (default 10; --quick 5)
  --warmup S                seconds of the same load before each produce measurement, not counted (default 2; --quick 1)
  --cluster-warmup S        seconds of SDK and REST v2 load on a scratch topic before the first cell, not counted:
                            freshly started nodes run their code cold (default 5; 0: none)
  --sizes LIST              record sizes in bytes (default 100,1024)
  --acks LIST               1,all (default both)
  --partitions LIST         partition counts (default 1,6,60)
  --paths LIST              ${PRODUCE_PATHS.join(',')} (default all)
  --records-per-request N   records per REST request / kafkajs send (default 500)
  --in-flight N             requests in flight (default 16)
  --rest-route R            round-robin (default: every node in turn, as behind a load balancer) or leader
  --consume-records N       records in the log read back (default 1000000; --quick 200000)
  --e2e-seconds S           end-to-end latency measurement (default 20; --quick 5), 100 records/s
  --kills N                 leader kills for the failover distribution (default 20; --quick 3)
  --skip LIST               leave out produce,consume,e2e,failover
  --out DIR                 where the JSON and SVG go (default bench-results)
  --keep-data               keep the started cluster's data directory and logs
  --cpu-prof DIR            V8 CPU profiles of the started nodes, written to DIR when they stop at the end
                            (summarize one with: node bench/profile-top.ts DIR/<file>.cpuprofile)
`;

export const PHASES = ['produce', 'consume', 'e2e', 'failover'] as const;
export type Phase = (typeof PHASES)[number];

export interface BenchOptions {
  readonly quick: boolean;
  /** The REST URL of a running cluster; null: start one. */
  readonly bootstrap: string | null;
  readonly kafkaBootstrap: readonly string[];
  readonly versusNats: boolean;
  readonly shape: LoadShape;
  /** Seconds of each of the SDK and REST v2 loads on a scratch topic before the produce matrix. */
  readonly clusterWarmupSeconds: number;
  readonly sizes: readonly number[];
  readonly acks: readonly Acks[];
  readonly partitions: readonly number[];
  readonly paths: readonly ProducePath[];
  readonly restRoute: RestRoute;
  readonly consumeRecords: number;
  readonly e2eSeconds: number;
  readonly kills: number;
  readonly skip: ReadonlySet<Phase>;
  readonly outDir: string;
  readonly keepData: boolean;
  /** Where the started nodes write their CPU profiles (null: not profiled). */
  readonly cpuProfDir: string | null;
}

const list = (raw: string | undefined, fallback: string): string[] =>
  (raw ?? fallback)
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');

function positive(flag: string, raw: string): number {
  const parsed = Number(raw);
  if (!Number.isFinite(parsed) || parsed <= 0)
    throw new Error(`${flag}: expected a positive number, got ${raw}`);
  return parsed;
}

function oneOf<T extends string>(flag: string, known: readonly T[], raw: string): T {
  const found = known.find((candidate) => candidate === raw);
  if (found === undefined) throw new Error(`${flag}: one of ${known.join(', ')}, got ${raw}`);
  return found;
}

/** The options, or null for --help. Throws on a value it cannot use. */
export function parseBenchOptions(argv: readonly string[]): BenchOptions | null {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      quick: { type: 'boolean', default: false },
      bootstrap: { type: 'string' },
      'kafka-bootstrap': { type: 'string' },
      vs: { type: 'string' },
      seconds: { type: 'string' },
      warmup: { type: 'string' },
      'cluster-warmup': { type: 'string', default: '5' },
      sizes: { type: 'string' },
      acks: { type: 'string' },
      partitions: { type: 'string' },
      paths: { type: 'string' },
      'records-per-request': { type: 'string', default: '500' },
      'in-flight': { type: 'string', default: '16' },
      'rest-route': { type: 'string', default: 'round-robin' },
      'consume-records': { type: 'string' },
      'e2e-seconds': { type: 'string' },
      kills: { type: 'string' },
      skip: { type: 'string', default: '' },
      out: { type: 'string', default: 'bench-results' },
      'keep-data': { type: 'boolean', default: false },
      'cpu-prof': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return null;
  const quick = values.quick;
  const warmup = values.warmup ?? (quick ? '1' : '2');
  if (values.vs !== undefined) oneOf('--vs', ['nats'], values.vs);
  return {
    quick,
    bootstrap: values.bootstrap ?? null,
    kafkaBootstrap: list(values['kafka-bootstrap'], '127.0.0.1:9092,127.0.0.1:9093,127.0.0.1:9094'),
    versusNats: values.vs === 'nats',
    shape: {
      warmupSeconds: Number(warmup) === 0 ? 0 : positive('--warmup', warmup),
      seconds: positive('--seconds', values.seconds ?? (quick ? '5' : '10')),
      recordsPerRequest: positive('--records-per-request', values['records-per-request']),
      inFlight: positive('--in-flight', values['in-flight']),
    },
    clusterWarmupSeconds:
      Number(values['cluster-warmup']) === 0 ? 0 : positive('--cluster-warmup', values['cluster-warmup']),
    sizes: list(values.sizes, quick ? '100' : '100,1024').map((size) => positive('--sizes', size)),
    acks: list(values.acks, quick ? 'all' : '1,all').map((acks) => oneOf<Acks>('--acks', ['1', 'all'], acks)),
    partitions: list(values.partitions, quick ? '6' : '1,6,60').map((count) =>
      positive('--partitions', count),
    ),
    paths: list(values.paths, PRODUCE_PATHS.join(',')).map((path) => oneOf('--paths', PRODUCE_PATHS, path)),
    restRoute: oneOf<RestRoute>('--rest-route', ['round-robin', 'leader'], values['rest-route']),
    consumeRecords: positive(
      '--consume-records',
      values['consume-records'] ?? (quick ? '200000' : '1000000'),
    ),
    e2eSeconds: positive('--e2e-seconds', values['e2e-seconds'] ?? (quick ? '5' : '20')),
    kills: positive('--kills', values.kills ?? (quick ? '3' : '20')),
    skip: new Set(list(values.skip, '').map((phase) => oneOf('--skip', PHASES, phase))),
    outDir: values.out,
    keepData: values['keep-data'],
    cpuProfDir: values['cpu-prof'] ?? null,
  };
}
