import { defineConfig, type Plugin } from 'vitest/config';
import { CHECKS_MODULE, checksModuleSource } from './scripts/checks-module.mjs';

// src/checks/registry.ts imports every check through `ns-doctor:checks`; the bundle gets it from scripts/build.mjs.
const everyCheck: Plugin = {
  name: 'every-check',
  resolveId: (id) => (id === CHECKS_MODULE ? `\0${CHECKS_MODULE}` : undefined),
  load: (id) => (id === `\0${CHECKS_MODULE}` ? checksModuleSource() : undefined),
};

export default defineConfig({
  plugins: [everyCheck],
  test: {
    teardownTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        extends: true,
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
