import { defineConfig } from 'vitest/config'

// Two projects: `unit` (fast, no external processes) and `e2e` (real daemon, real libtorrent peers,
// real Chromium). `pnpm test` runs both; `pnpm test:unit` is the quick loop.

// No test may reach the public DHT: the CLI's DHT is off unless a test gives `--dht-bootstrap`, and
// every daemon (in-process or a child, which inherits this) sends UDP only to local addresses.
const SAFE_ENV = { TIDEPOOL_DHT: 'off', TIDEPOOL_UDP_LOCAL_ONLY: '1' }

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'native-host/src/**/*.test.ts', 'native-host/test/**/*.test.ts', 'extension/src/**/*.test.ts'],
          testTimeout: 30_000,
          env: SAFE_ENV,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          // after the unit project, not beside it: on 2 cores, CPU-heavy unit tests running next to
          // real peers make timing-sensitive interop runs slow and noisy
          sequence: { groupOrder: 1 },
          teardownTimeout: 30_000,
          env: SAFE_ENV,
        },
      },
    ],
  },
})
