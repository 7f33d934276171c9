import { defineConfig } from 'vitest/config';

// One config, three tiers by file suffix (STYLE.md §5):
//   *.unit.test.ts  pure and fast, no servers
//   *.int.test.ts   real NATS JetStream, Redis and FerretDB from the harness
//   *.e2e.test.ts   the whole platform as processes, driven through the gateway
// The harness (libs/testkit/dist/global-setup.js) starts the servers once per run on free ports.
// Tests import workspace packages from their built dist/, so `npm test` builds first.
const integration = {
  globalSetup: ['./libs/testkit/dist/global-setup.js'],
  testTimeout: 60_000,
  hookTimeout: 120_000,
  pool: 'forks' as const,
};

export default defineConfig({
  test: {
    reporters: process.env.CI ? ['default'] : ['default'],
    projects: [
      {
        test: { name: 'unit', include: ['{libs,services}/*/test/**/*.unit.test.ts', 'deploy/test/**/*.unit.test.ts'], testTimeout: 10_000 },
      },
      {
        test: { name: 'int', include: ['{libs,services}/*/test/**/*.int.test.ts', 'deploy/test/**/*.int.test.ts'], ...integration },
      },
      {
        test: {
          name: 'e2e',
          include: ['{libs,services}/*/test/**/*.e2e.test.ts', 'deploy/test/**/*.e2e.test.ts', 'load-tests/**/*.e2e.test.ts'],
          ...integration,
          testTimeout: 120_000,
          // e2e files each start the whole platform: run them one at a time.
          poolOptions: { forks: { singleFork: true } },
        },
      },
    ],
  },
});
