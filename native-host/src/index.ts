export { startDaemon, loadOrCreateToken } from './daemon/index.ts'
export type { DaemonOptions, DaemonStats, RunningDaemon } from './daemon/index.ts'
