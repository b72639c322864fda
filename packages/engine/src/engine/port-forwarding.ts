import type { PortForwardingStatus, PortMappingStatus } from '../api/types.ts'
import type { Logger, NetPort, PortMapping, TcpListener, UdpSocket } from '../platform/ports.ts'

const METHOD_NAMES = { upnp: 'UPnP', natpmp: 'NAT-PMP', pcp: 'PCP' } as const

/** One line for one mapping. */
export function describeMapping(s: PortMappingStatus): string {
  const what = `${s.protocol === 'udp' ? 'UDP port' : 'Port'} ${s.internalPort}`
  switch (s.state) {
    case 'mapped': {
      const ext = `${s.externalAddress || '(external address unknown)'}:${s.externalPort ?? s.internalPort}`
      return `${what} mapped as ${ext} via ${s.method ? METHOD_NAMES[s.method] : 'the gateway'}`
    }
    case 'failed':
      return `${what} not mapped: ${s.error ?? 'unknown reason'}`
    case 'pending':
      return `${what}: asking the gateway to forward it…`
    case 'removed':
      return `${what}: mapping removed`
  }
}

type Target = TcpListener | UdpSocket
interface Entry {
  mapping?: PortMapping
  status?: PortMappingStatus
  /** The mapPort request in flight. */
  starting?: Promise<void>
}

/**
 * Keeps the engine's listen port (and any UDP socket handed to it) forwarded on the gateway while
 * the setting is on, through the platform's `NetPort.mapPort` (the daemon does the talking).
 */
export class PortForwarding {
  private readonly targets = new Map<Target, Entry>()
  private enabled = false

  constructor(
    private readonly net: NetPort,
    private readonly log: Logger,
  ) {}

  get supported(): boolean {
    return !!this.net.mapPort && this.net.canMapPorts === true
  }

  /** Turns mapping on or off for every target (off removes the mappings on the gateway). */
  async setEnabled(on: boolean): Promise<void> {
    if (on === this.enabled) return
    this.enabled = on
    if (on) for (const [t, e] of this.targets) this.start(t, e)
    else await Promise.all([...this.targets.values()].map((e) => this.unmap(e)))
  }

  /** Forward this listener's or socket's port (now, or once the setting is on). */
  add(target: Target): void {
    if (this.targets.has(target)) return
    const e: Entry = {}
    this.targets.set(target, e)
    if (this.enabled) this.start(target, e)
  }

  /** Stop forwarding `target` (before it is closed); resolves once the gateway was asked. */
  async remove(target: Target): Promise<void> {
    const e = this.targets.get(target)
    if (!e) return
    this.targets.delete(target)
    await this.unmap(e)
  }

  async removeAll(): Promise<void> {
    await Promise.all([...this.targets.keys()].map((t) => this.remove(t)))
  }

  private start(target: Target, e: Entry): void {
    if (!this.supported || e.mapping || e.starting) return
    const mapPort = this.net.mapPort!.bind(this.net)
    e.starting = mapPort(target, (s) => this.onStatus(e, s))
      .then((m) => {
        e.mapping = m
        if (!e.status || e.status.state === 'pending') this.onStatus(e, m.status)
      })
      .catch((err: unknown) => {
        this.log.warn(
          `port mapping of port ${target.port} could not start: ${err instanceof Error ? err.message : String(err)}`,
        )
        e.status = {
          state: 'failed',
          protocol: 'port' in target && 'send' in target ? 'udp' : 'tcp',
          internalPort: target.port,
          error: err instanceof Error ? err.message : String(err),
        }
      })
      .finally(() => (e.starting = undefined))
  }

  private onStatus(e: Entry, s: PortMappingStatus): void {
    const prev = e.status
    e.status = s
    if (prev?.state === s.state && prev.externalPort === s.externalPort && prev.error === s.error) return
    if (s.state === 'mapped' || s.state === 'failed') this.log.info(describeMapping(s))
  }

  private async unmap(e: Entry): Promise<void> {
    await e.starting
    const m = e.mapping
    e.mapping = undefined
    e.status = undefined
    await m
      ?.remove()
      .catch((err: unknown) =>
        this.log.debug?.(`removing a port mapping failed: ${err instanceof Error ? err.message : String(err)}`),
      )
  }

  status(): PortForwardingStatus {
    if (!this.enabled) return { state: 'off', mappings: [], summary: 'Port mapping is off' }
    if (!this.supported)
      return {
        state: 'unsupported',
        mappings: [],
        summary: 'Port mapping is not available (the daemon does not offer it)',
      }
    const mappings = [...this.targets.values()].flatMap((e) => (e.status ? [e.status] : []))
    if (mappings.length === 0)
      return {
        state: this.targets.size ? 'pending' : 'idle',
        mappings,
        summary: this.targets.size ? 'Asking the gateway to forward our port…' : 'No port to map',
      }
    const order = ['failed', 'pending', 'mapped'] as const
    const state = order.find((st) => mappings.some((m) => m.state === st)) ?? 'pending'
    return { state, mappings, summary: mappings.map(describeMapping).join('; ') }
  }
}
