import { defineConfig } from 'vitest/config';

// Under CI the results also go to a JSON file, from which .ci/run prints its closing line.
const ci = process.env.CI === 'true';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'chaos/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ci ? ['default', ['json', { outputFile: '.ci-results/vitest.json' }]] : ['default'],
  },
});
