export { startDaemon, loadOrCreateToken, portMappingAllowed } from './daemon/index.ts'
export type { DaemonOptions, DaemonStats, RunningDaemon } from './daemon/index.ts'
export { DATA_PATH_NODE_FLAGS } from './node-flags.ts'
