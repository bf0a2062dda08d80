import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    teardownTimeout: 60_000,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/e2e/global-setup.ts'],
          // One control plane for all e2e files: they change cluster-wide state (APIServices, the controller
          // manager), so they run one file at a time, in a fixed order.
          fileParallelism: false,
          sequence: { shuffle: false },
          testTimeout: 180_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
