import { Ev, type PortMapStatus } from '@tidepool/daemon-bridge'
import { IoError } from '@tidepool/engine'
import type { Mapping, PortMapper } from './portmap/port-mapper.ts'
import type { SessionContext } from './session-context.ts'
import { handleOf } from './tcp-ops.ts'

function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address === 'localhost'
}

/**
 * The portmap capability of one session (docs/daemon-protocol.md §4.5). A mapping names one of the
 * session's own listeners or UDP sockets, so only a port the daemon itself listens on is ever mapped;
 * it goes when that handle closes or the session ends.
 */
export class SessionPortMaps {
  private readonly maps = new Map<number, Mapping>()

  constructor(
    private readonly ctx: SessionContext,
    private readonly mapper: PortMapper,
  ) {}

  add(meta: Record<string, unknown>): PortMapStatus {
    const handle = handleOf(meta)
    const r = this.ctx.handles.get(handle)
    const bound = r && (r.kind === 'listener' || r.kind === 'udp') ? r.bound?.() : undefined
    if (!r || !bound) throw new IoError('closed', 'no listener or UDP socket with this handle')
    if (isLoopback(bound.address))
      throw new IoError('invalid', `bound to ${bound.address}: nothing outside this machine can reach it`)
    const existing = this.maps.get(handle)
    if (existing) return existing.status
    const m = this.mapper.map(r.kind === 'udp' ? 'udp' : 'tcp', bound.port, (s) => {
      if (!this.ctx.closed && this.maps.get(handle) === m) this.ctx.event(handle, Ev.portmap, s)
    })
    this.maps.set(handle, m)
    return m.status
  }

  async remove(meta: Record<string, unknown>): Promise<object> {
    const handle = handleOf(meta)
    const m = this.maps.get(handle)
    if (!m) throw new IoError('closed', 'no mapping for this handle')
    this.maps.delete(handle)
    await m.remove()
    return {}
  }

  status(meta: Record<string, unknown>): PortMapStatus {
    const m = this.maps.get(handleOf(meta))
    if (!m) throw new IoError('closed', 'no mapping for this handle')
    return m.status
  }

  /** A listener or UDP socket closed: its mapping goes too. */
  released(handle: number): void {
    const m = this.maps.get(handle)
    if (!m) return
    this.maps.delete(handle)
    void m.remove()
  }

  dispose(): void {
    for (const h of [...this.maps.keys()]) this.released(h)
  }
}
