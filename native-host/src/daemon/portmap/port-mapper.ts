import type { PortMapStatus } from '@tidepool/daemon-bridge'
import { defaultGateway, localAddressTowards } from './gateway.ts'
import { pmpMap, pmpUnmap, type PmpMapping, type PmpTarget } from './pmp-client.ts'
import { discoverIgd, upnpMap, upnpUnmap, type UpnpMapping, type UpnpTarget } from './upnp-client.ts'
import type { IgdService } from './igd-codec.ts'

/**
 * Keeps port mappings on the gateway for the daemon: tries PCP/NAT-PMP (one unicast exchange with
 * the gateway), then UPnP IGD; renews each lease at half its lifetime; deletes it when asked and when
 * the daemon closes. Only the daemon constructs one, and only for ports its own sockets are bound to.
 */

export type PortMapMethod = 'pcp' | 'natpmp' | 'upnp'

export interface PortMapperOptions {
  /** IPv4 gateway to talk to; default the kernel's default route. */
  gateway?: string
  /** Our address towards it (UPnP's NewInternalClient, the interface SSDP goes out of); default what the kernel picks. */
  localAddress?: string
  /** In the order tried. Default pcp (falling back to natpmp inside the same exchange), then upnp. */
  methods?: PortMapMethod[]
  /** Lease asked for, seconds. Default 3600 (a gateway may grant less; we renew at half of what it grants). */
  lifetimeSec?: number
  /** Delay before trying again after a failure; doubles up to 30 min. Default 60 s. */
  retryMs?: number
  /** SSDP search window. Default 2000 ms. */
  searchMs?: number
  /** PCP/NAT-PMP first retransmission (doubling, 4 attempts). Default 250 ms. */
  pmpFirstRetryMs?: number
  /** Never renew sooner than this, whatever lease the gateway grants. Default 30 s (tests go lower). */
  minRenewSec?: number
  /** The gateway's PCP/NAT-PMP port; 5351 except in tests. */
  pmpPort?: number
}

export interface Mapping {
  readonly status: PortMapStatus
  /** Deletes the mapping on the gateway (best effort; resolves when done or failed). */
  remove(): Promise<void>
}

type Lease = { kind: 'pmp'; m: PmpMapping } | { kind: 'upnp'; m: UpnpMapping }

const MAX_RETRY_MS = 30 * 60_000
/** A permanent UPnP lease is checked again this often (a router reboot loses it). */
const PERMANENT_RECHECK_MS = 20 * 60_000

export class PortMapper {
  private readonly mappings = new Set<MappingImpl>()
  private route: Promise<{ gateway: string; localAddress: string }> | undefined
  private igd: Promise<IgdService & { host: string }> | undefined
  closed = false

  constructor(readonly opts: PortMapperOptions = {}) {}

  /** Starts mapping `internalPort`; `onStatus` hears every change (pending → mapped/failed → removed). */
  map(protocol: 'tcp' | 'udp', internalPort: number, onStatus: (s: PortMapStatus) => void): Mapping {
    const m = new MappingImpl(this, protocol, internalPort, onStatus)
    this.mappings.add(m)
    m.done.then(() => this.mappings.delete(m))
    m.start()
    return m
  }

  /** Removes every mapping (the daemon is closing). */
  async close(): Promise<void> {
    this.closed = true
    await Promise.all([...this.mappings].map((m) => m.remove()))
  }

  /** @internal gateway and our address towards it, looked up once. */
  routeInfo(): Promise<{ gateway: string; localAddress: string }> {
    this.route ??= (async () => {
      const gateway = this.opts.gateway ?? (await defaultGateway())
      if (!gateway) throw new Error('no IPv4 default gateway')
      const localAddress = this.opts.localAddress ?? (await localAddressTowards(gateway))
      return { gateway, localAddress }
    })()
    this.route.catch(() => (this.route = undefined))
    return this.route
  }

  /** @internal the IGD, discovered once and again after it failed. */
  findIgd(t: UpnpTarget): Promise<IgdService & { host: string }> {
    this.igd ??= discoverIgd(t)
    this.igd.catch(() => (this.igd = undefined))
    return this.igd
  }

  /** @internal */
  forgetIgd(): void {
    this.igd = undefined
  }

  /** @internal a mapping failed: look the route up again next time (the machine may have moved). */
  forgetRoute(): void {
    if (!this.opts.gateway || !this.opts.localAddress) this.route = undefined
  }

  /** @internal the PCP/NAT-PMP target for a route. */
  pmpTarget(route: { gateway: string; localAddress: string }): PmpTarget {
    return {
      gateway: route.gateway,
      localAddress: route.localAddress,
      firstRetryMs: this.opts.pmpFirstRetryMs,
      serverPort: this.opts.pmpPort,
    }
  }
}

class MappingImpl implements Mapping {
  status: PortMapStatus
  private lease: Lease | undefined
  private timer: ReturnType<typeof setTimeout> | undefined
  private removed = false
  private busy: Promise<void> = Promise.resolve()
  private failures = 0
  private resolveDone!: () => void
  readonly done = new Promise<void>((r) => (this.resolveDone = r))

  constructor(
    private readonly mapper: PortMapper,
    private readonly protocol: 'tcp' | 'udp',
    private readonly internalPort: number,
    private readonly onStatus: (s: PortMapStatus) => void,
  ) {
    this.status = { state: 'pending', protocol, internalPort }
  }

  start(): void {
    this.busy = this.attempt()
  }

  private set(s: Omit<PortMapStatus, 'protocol' | 'internalPort'>): void {
    this.status = { protocol: this.protocol, internalPort: this.internalPort, ...s }
    this.onStatus(this.status)
  }

  private async attempt(): Promise<void> {
    if (this.removed) return
    const o = this.mapper.opts
    const methods = o.methods ?? ['pcp', 'upnp']
    const lifetime = o.lifetimeSec ?? 3600
    const errors: string[] = []
    let gateway: string | undefined
    try {
      const route = await this.mapper.routeInfo()
      gateway = route.gateway
      const renewing = this.lease
      const order = renewing ? [renewing.kind === 'upnp' ? 'upnp' : 'pcp', ...methods] : methods
      for (const method of new Set(order)) {
        if (this.removed) return
        try {
          if (method === 'pcp' || method === 'natpmp') {
            const t = this.mapper.pmpTarget(route)
            const prev =
              renewing?.kind === 'pmp'
                ? renewing.m
                : method === 'natpmp'
                  ? {
                      method: 'natpmp' as const,
                      externalAddress: '',
                      externalPort: this.internalPort,
                      lifetimeSec: lifetime,
                    }
                  : undefined
            const m = await pmpMap(t, this.protocol, this.internalPort, lifetime, prev)
            this.lease = { kind: 'pmp', m }
          } else {
            const t: UpnpTarget = {
              localAddress: route.localAddress,
              gateway: o.gateway,
              prefer: route.gateway,
              searchMs: o.searchMs,
            }
            const svc = await this.mapper.findIgd(t)
            const prev = renewing?.kind === 'upnp' ? renewing.m.externalPort : undefined
            try {
              this.lease = { kind: 'upnp', m: await upnpMap(t, svc, this.protocol, this.internalPort, lifetime, prev) }
            } catch (e) {
              this.mapper.forgetIgd() // it may have moved or rebooted: search again next time
              throw e
            }
          }
          // Renewed by another method than the old lease's (that one stopped answering): drop the old one.
          if (renewing && renewing.kind !== this.lease.kind) await this.unmapLease(renewing)
          if (this.removed) {
            await this.unmap()
            return
          }
          this.failures = 0
          const l = this.lease.m
          this.set({
            state: 'mapped',
            method: l.method,
            externalAddress: l.externalAddress,
            externalPort: l.externalPort,
            lifetimeSec: l.lifetimeSec,
            gateway: route.gateway,
          })
          const renewMs =
            l.lifetimeSec > 0
              ? Math.max((o.minRenewSec ?? 30) * 1000, (l.lifetimeSec * 1000) / 2)
              : PERMANENT_RECHECK_MS
          this.schedule(renewMs)
          return
        } catch (e) {
          const msg = e instanceof Error ? e.message : String(e)
          // A gateway that refused PCP/NAT-PMP may still take UPnP: every method gets its turn.
          errors.push(`${method === 'upnp' ? 'UPnP' : 'PCP/NAT-PMP'}: ${msg}`)
        }
      }
    } catch (e) {
      errors.push(e instanceof Error ? e.message : String(e))
    }
    if (this.removed) return
    this.lease = undefined
    this.mapper.forgetRoute()
    this.set({ state: 'failed', error: errors.join('; '), ...(gateway ? { gateway } : {}) })
    const retry = Math.min(MAX_RETRY_MS, (o.retryMs ?? 60_000) * 2 ** this.failures++)
    this.schedule(retry)
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      this.busy = this.busy.then(() => this.attempt())
    }, ms)
    this.timer.unref?.()
  }

  private async unmap(): Promise<void> {
    const l = this.lease
    this.lease = undefined
    if (l) await this.unmapLease(l)
  }

  private async unmapLease(l: Lease): Promise<void> {
    try {
      const route = await this.mapper.routeInfo()
      if (l.kind === 'pmp') await pmpUnmap(this.mapper.pmpTarget(route), this.protocol, this.internalPort, l.m)
      else await upnpUnmap({ localAddress: route.localAddress }, l.m, this.protocol)
    } catch {
      // Best effort: the lease runs out on its own (a permanent UPnP one stays until the router forgets it).
    }
  }

  remove(): Promise<void> {
    if (this.removed) return this.done
    this.removed = true
    clearTimeout(this.timer)
    // Let a request in flight finish first, so its lease is the one we delete.
    void this.busy
      .then(() => this.unmap())
      .finally(() => {
        this.set({ state: 'removed' })
        this.resolveDone()
      })
    return this.done
  }
}
