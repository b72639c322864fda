import { defineConfig } from 'vitest/config'

// Projects: `unit` (fast, no external processes; `unit-dataplane` reruns whole-engine tests over an
// in-memory data plane), `e2e` (real daemon, real libtorrent peers, real Chromium) and `e2e-old-path`
// (the CLI interop tests with the data plane off). `pnpm test` runs all; `pnpm test:unit` is the quick loop.
// No test may reach a real router: entry points that would map ports (daemon process, CLI, web app,
// native host) check TIDEPOOL_NO_PORT_MAPPING, and processes the tests start inherit it. A test that
// maps ports builds its own network namespace and gateway (native-host/test/portmap-miniupnpd.test.ts).
// Likewise no daemon a test starts offers multicast unless the test asks (start-daemon.ts).
// No test may reach the public DHT: the CLI's DHT is off unless a test gives `--dht-bootstrap`, and
// every daemon (in-process or a child, which inherits this) sends UDP only to local addresses.
const env = {
  TIDEPOOL_NO_PORT_MAPPING: '1',
  TIDEPOOL_NO_MULTICAST: '1',
  TIDEPOOL_DHT: 'off',
  TIDEPOOL_UDP_LOCAL_ONLY: '1',
}

export default defineConfig({
  test: {
    env,
    projects: [
      {
        test: {
          name: 'unit',
          env,
          include: [
            'packages/*/src/**/*.test.ts',
            'packages/*/test/**/*.test.ts',
            'native-host/src/**/*.test.ts',
            'native-host/test/**/*.test.ts',
            'extension/src/**/*.test.ts',
          ],
          testTimeout: 30_000,
        },
      },
      {
        // whole-engine tests again, each engine with an in-memory data plane (framed sockets, STORED,
        // pieces hashed and written by the platform): the same behaviour over both paths
        test: {
          name: 'unit-dataplane',
          env,
          provide: { dataPlane: true },
          include: [
            'packages/engine/src/engine/two-engines.test.ts',
            'packages/engine/src/engine/engine-encryption.test.ts',
            'packages/engine/src/engine/torrent-moves.test.ts',
            'packages/engine/src/webseed/web-seeds-engine.test.ts',
          ],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'e2e',
          env,
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
      {
        // the CLI's interop tests again with the data plane off (TIDEPOOL_DATA_PLANE=0: every piece byte
        // through the engine, hashed and written by it), so the path a daemon without `data-plane` gets
        // stays whole; test/interop/data-plane.test.ts checks that this switch really frames nothing
        test: {
          name: 'e2e-old-path',
          env: { ...env, TIDEPOOL_DATA_PLANE: '0' },
          include: [
            'test/interop/download.test.ts',
            'test/interop/encryption.test.ts',
            'test/interop/utp.test.ts',
            'test/interop/seeding.test.ts',
            'test/interop/corrupt-seed.test.ts',
            'test/interop/webseed.test.ts',
            'test/interop/save-folders.test.ts',
            'test/interop/ipv6.test.ts',
            'test/interop/stream.test.ts',
          ],
          testTimeout: 180_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          sequence: { groupOrder: 2 },
          teardownTimeout: 30_000,
        },
      },
    ],
  },
})
