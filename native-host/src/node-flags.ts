/**
 * V8 flags for Node processes on the data path (the daemon, the CLI, the benchmarks). They must be on
 * node's command line: V8 sizes its heap at start-up, `v8.setFlagsFromString` later has no effect, and
 * NODE_OPTIONS refuses them.
 *
 * `--initial-old-space-size=64`: these processes keep a small live heap (~8 MB) while streaming
 * hundreds of MiB/s of ArrayBuffers (socket reads, WebSocket frames). With V8's default starting limits
 * that traffic starts incremental marking over and over: bench:bridge counted ~76 full mark-compacts
 * per GiB in the client and GC took ~1.4 of its 1.8 user CPU-s/GiB. With a 64 MB initial old space:
 * 0 mark-compacts per GiB, client user CPU 0.3-0.7 s/GiB, daemon 0.24-0.38 (from 1.0-1.4); see the
 * bench:bridge second round in docs/benchmarks-history.md. It sets a starting limit, not a reservation:
 * memory is used only as garbage accumulates between collections. package.json scripts repeat the
 * literal flag (they cannot import).
 */
export const DATA_PATH_NODE_FLAGS: readonly string[] = ['--initial-old-space-size=64']
