import type { EngineStatus } from '@tidepool/engine'
/** The status bar's port: the listen port, and where the gateway forwards it from (details in the tooltip). */
export function portLabel(st: EngineStatus): string {
  const port = `port ${st.listenPort}`
  const pm = st.portMapping
  const tcp = pm?.mappings.find((m) => m.protocol === 'tcp')
  if (!pm || !tcp) return port
  if (tcp.state === 'mapped')
    return `${port} · mapped as ${tcp.externalAddress || '?'}:${tcp.externalPort ?? tcp.internalPort}`
  if (tcp.state === 'failed') return `${port} · not mapped`
  if (tcp.state === 'pending') return `${port} · mapping…`
  return port
}
