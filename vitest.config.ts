import { defineConfig } from 'vitest/config'

// Two projects: `unit` (fast, no external processes) and `e2e` (real daemon, real libtorrent peers,
// real Chromium). `pnpm test` runs both; `pnpm test:unit` is the quick loop.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          // no daemon a test starts offers multicast unless the test asks (start-daemon.ts)
          env: { TIDEPOOL_NO_MULTICAST: '1' },
          include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'native-host/src/**/*.test.ts', 'native-host/test/**/*.test.ts', 'extension/src/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'e2e',
          env: { TIDEPOOL_NO_MULTICAST: '1' },
          include: ['test/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          // after the unit project, not beside it: on 2 cores, CPU-heavy unit tests running next to
          // real peers make timing-sensitive interop runs slow and noisy
          sequence: { groupOrder: 1 },
          teardownTimeout: 30_000,
        },
      },
    ],
  },
})
