import { defineConfig } from 'vitest/config';

// Under CI the results also go to a JSON file, from which .ci/run prints its closing line.
const ci = process.env.CI === 'true';

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ci ? ['default', 'json'] : ['default'],
    outputFile: { json: '.ci-results/vitest.json' },
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/**/*.test.ts', 'chaos/**/*.test.ts'], exclude: ['test/integration/**'] },
      },
      {
        // Real node processes, one file at a time. `npm test` runs this project in its own vitest run
        // after the unit tests, so that elections and leases do not compete with them for the CPU.
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          fileParallelism: false,
        },
      },
    ],
  },
});
