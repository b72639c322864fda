export { startDaemon, type DaemonOptions, type DaemonStats, type RunningDaemon } from './start-daemon.ts'
export { loadOrCreateToken } from './token.ts'
