// Prints the closing line of a test run, "N passed, N failed", from the result files that vitest
// (JSON reporter) and the simulation CLI (--summary-file) wrote into the given folder.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const folder = process.argv[2] ?? '.ci-results';
let passed = 0;
let failed = 0;

const vitestFile = join(folder, 'vitest.json');
if (existsSync(vitestFile)) {
  const vitest = JSON.parse(readFileSync(vitestFile, 'utf8')) as { numPassedTests: number; numFailedTests: number };
  console.log(`vitest: ${vitest.numPassedTests} passed, ${vitest.numFailedTests} failed`);
  passed += vitest.numPassedTests;
  failed += vitest.numFailedTests;
} else {
  console.log('vitest: no result file');
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

console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
