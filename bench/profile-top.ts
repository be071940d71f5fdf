// The top of a V8 CPU profile (.cpuprofile, from `node --cpu-prof` or `npm run bench -- --cpu-prof DIR`):
// self time by function and by file, as a table for a note. Usage:
//   node bench/profile-top.ts FILE.cpuprofile [--top N]
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Self time in microseconds per profile node id. */
function selfTimes(profile: CpuProfile): Map<number, number> {
  const self = new Map<number, number>();
  for (const [at, id] of profile.samples.entries())
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[at] ?? 0));
  return self;
}

function where(url: string): string {
  if (url === '') return '(native)';
  const path = url.startsWith('file://') ? new URL(url).pathname : url;
  return path.startsWith('/') ? relative(process.cwd(), path) : path;
}

function table(title: string, rows: Map<string, number>, totalUs: number, top: number): string {
  const sorted = [...rows].sort((a, b) => b[1] - a[1]).slice(0, top);
  const lines = sorted.map(
    ([name, us]) =>
      `${((100 * us) / totalUs).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${name}`,
  );
  return [`${title}`, ...lines].join('\n');
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '25' } },
  });
  const file = positionals[0];
  if (file === undefined) {
    process.stderr.write('Usage: node bench/profile-top.ts FILE.cpuprofile [--top N]\n');
    process.exitCode = 2;
    return;
  }
  const top = Number(values.top);
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = selfTimes(profile);
  const totalUs = [...self.values()].reduce((sum, us) => sum + us, 0);
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  for (const [id, us] of self) {
    const frame = byId.get(id)!.callFrame;
    const file = where(frame.url);
    const name = `${frame.functionName || '(anonymous)'}  ${file}${frame.url === '' ? '' : `:${frame.lineNumber + 1}`}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
    byFile.set(file, (byFile.get(file) ?? 0) + us);
  }
  process.stdout.write(
    `${file}: ${(totalUs / 1e6).toFixed(1)} s sampled\n\n` +
      `${table('self time by function', byFunction, totalUs, top)}\n\n${table('self time by file', byFile, totalUs, top)}\n`,
  );
}

await main();
