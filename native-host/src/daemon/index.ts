export {
  startDaemon,
  portMappingAllowed,
  type DaemonOptions,
  type DaemonStats,
  type RunningDaemon,
} from './start-daemon.ts'
export { loadOrCreateToken } from './token.ts'
export { PortMapper, type PortMapperOptions } from './portmap/port-mapper.ts'
