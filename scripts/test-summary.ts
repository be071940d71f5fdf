// Prints the closing line of a test run, "N passed, N failed", from the result files that vitest
// (JSON reporter), the simulation CLI and the nemesis (--summary-file) wrote into the given folder.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const folder = process.argv[2] ?? '.ci-results';
let passed = 0;
let failed = 0;

// One result file per vitest run (unit, integration).
const vitestFiles = existsSync(folder)
  ? readdirSync(folder).filter((name) => name.startsWith('vitest') && name.endsWith('.json'))
  : [];
for (const name of vitestFiles.sort()) {
  const vitest = JSON.parse(readFileSync(join(folder, name), 'utf8')) as {
    numPassedTests: number;
    numFailedTests: number;
  };
  console.log(`${name}: ${vitest.numPassedTests} passed, ${vitest.numFailedTests} failed`);
  passed += vitest.numPassedTests;
  failed += vitest.numFailedTests;
}
if (vitestFiles.length < 2) {
  console.log(`expected the unit and integration vitest results, found ${vitestFiles.length}`);
  failed++;
}

const simFile = join(folder, 'sim.json');
if (existsSync(simFile)) {
  const sim = JSON.parse(readFileSync(simFile, 'utf8')) as { passed: number; failed: number };
  console.log(`simulation seeds: ${sim.passed} passed, ${sim.failed} failed`);
  passed += sim.passed;
  failed += sim.failed;
} else {
  console.log('simulation: no result file');
  failed++;
}

const clusterSimFile = join(folder, 'sim-cluster.json');
if (existsSync(clusterSimFile)) {
  const sim = JSON.parse(readFileSync(clusterSimFile, 'utf8')) as { passed: number; failed: number };
  console.log(`whole-cluster simulation seeds: ${sim.passed} passed, ${sim.failed} failed`);
  passed += sim.passed;
  failed += sim.failed;
} else {
  console.log('whole-cluster simulation: no result file');
  failed++;
}

const clusterFcFile = join(folder, 'sim-cluster-fc.json');
if (existsSync(clusterFcFile)) {
  const sim = JSON.parse(readFileSync(clusterFcFile, 'utf8')) as { passed: number; failed: number };
  console.log(`whole-cluster fast-check schedules: ${sim.passed} passed, ${sim.failed} failed`);
  passed += sim.passed;
  failed += sim.failed;
} else {
  console.log('whole-cluster fast-check: no result file');
  failed++;
}

const bitRotFile = join(folder, 'sim-cluster-bit-rot.json');
if (existsSync(bitRotFile)) {
  const sim = JSON.parse(readFileSync(bitRotFile, 'utf8')) as { passed: number; failed: number };
  console.log(`whole-cluster simulation seeds with bit rot: ${sim.passed} passed, ${sim.failed} failed`);
  passed += sim.passed;
  failed += sim.failed;
} else {
  console.log('whole-cluster simulation with bit rot: no result file');
  failed++;
}

const kafkaGroupsFile = join(folder, 'sim-cluster-kafka-groups.json');
if (existsSync(kafkaGroupsFile)) {
  const sim = JSON.parse(readFileSync(kafkaGroupsFile, 'utf8')) as { passed: number; failed: number };
  console.log(`whole-cluster simulation seeds with Kafka group consumers: ${sim.passed} passed, ${sim.failed} failed`);
  passed += sim.passed;
  failed += sim.failed;
} else {
  console.log('whole-cluster simulation with Kafka group consumers: no result file');
  failed++;
}

// The real-process nemesis: its checks count as tests.
const chaosFile = join(folder, 'chaos.json');
if (existsSync(chaosFile)) {
  const chaos = JSON.parse(readFileSync(chaosFile, 'utf8')) as { passed: number; failed: number };
  console.log(`nemesis checks: ${chaos.passed} passed, ${chaos.failed} failed`);
  passed += chaos.passed;
  failed += chaos.failed;
} else {
  console.log('nemesis: no result file');
  failed++;
}

// The nemesis' regression runs (chaos/nemesis/regressions.txt): their checks count too.
const regressionsFile = join(folder, 'chaos-regressions.json');
if (existsSync(regressionsFile)) {
  const runs = JSON.parse(readFileSync(regressionsFile, 'utf8')) as { passed: number; failed: number };
  console.log(`nemesis regression checks: ${runs.passed} passed, ${runs.failed} failed`);
  passed += runs.passed;
  failed += runs.failed;
} else {
  console.log('nemesis regressions: no result file');
  failed++;
}

console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
