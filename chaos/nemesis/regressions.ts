// `npm run chaos:regressions`: replays every run of regressions.txt with `npm run chaos`'s runner, one
// after the other (never two at once: they would share the CPU), and sums their checks.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const HERE = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({ options: { 'summary-file': { type: 'string' } }, strict: true });

const runs = readFileSync(join(HERE, 'regressions.txt'), 'utf8')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'));
let passed = 0;
let failed = 0;
const scratch = join(tmpdir(), `chaos-regression-${process.pid}.json`);
for (const line of runs) {
  process.stderr.write(`[chaos:regressions] npm run chaos -- ${line}\n`);
  rmSync(scratch, { force: true });
  const result = spawnSync(
    process.execPath,
    [join(HERE, 'run.ts'), ...line.split(/\s+/), '--summary-file', scratch],
    { stdio: 'inherit' },
  );
  try {
    const counts = JSON.parse(readFileSync(scratch, 'utf8')) as { passed: number; failed: number };
    passed += counts.passed;
    failed += counts.failed;
  } catch {
    failed += 1; // the run did not get as far as its checks
  }
  if (result.status !== 0) process.stderr.write(`[chaos:regressions] FAILED: ${line}\n`);
}
rmSync(scratch, { force: true });
process.stderr.write(`[chaos:regressions] ${runs.length} runs: ${passed} checks passed, ${failed} failed\n`);
if (values['summary-file'] !== undefined) {
  const path = resolve(values['summary-file']);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify({ passed, failed })}\n`);
}
process.exitCode = failed > 0 ? 1 : 0;
