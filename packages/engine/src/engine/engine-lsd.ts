/**
 * The engine's local peer discovery (BEP 14): while it is wanted (the setting on, the engine started)
 * and the platform can multicast (the daemon's udp-multicast capability), it opens the LSD sockets and
 * announces the running public torrents; peers it hears of go to their torrent. Failing to open the
 * sockets leaves it off, logged.
 */
import { LocalDiscovery } from '../lsd/local-discovery.ts'
import { openLsdSockets, type LsdSockets } from '../lsd/lsd-sockets.ts'
import type { LogPort, NetPort } from '../platform/ports.ts'
import type { Clock } from '../util/clock.ts'
import { createLogger, errorText } from '../util/log.ts'

export interface EngineLsdDeps {
  net: NetPort
  logPort?: LogPort
  clock: Clock
  /** The setting is on and the engine started (asked again once the sockets opened). */
  wanted(): boolean
  /** Info-hashes to announce: running torrents, never a private one. */
  torrents(): string[]
  listenPort(): number
  onPeer(infoHash: string, ip: string, port: number): void
}

export class EngineLsd {
  private running: { discovery: LocalDiscovery; sockets: LsdSockets } | null = null
  private starting = false

  constructor(private readonly deps: EngineLsdDeps) {}

  async start(): Promise<void> {
    const d = this.deps
    if (this.running || this.starting || !d.wanted()) return
    const log = createLogger('lsd', { port: d.logPort, now: () => d.clock.now() })
    if (!d.net.multicast) {
      log.debug?.('local peer discovery is off: the platform cannot multicast')
      return
    }
    this.starting = true
    let discovery: LocalDiscovery | null = null
    try {
      const sockets = await openLsdSockets(d.net, (data, from) => discovery?.onDatagram(data, from), log)
      // stopped, or turned off, while the sockets opened
      if (sockets.channels.length === 0 || !d.wanted()) return sockets.close()
      discovery = new LocalDiscovery({
        host: { torrents: () => d.torrents(), listenPort: () => d.listenPort(), onPeer: d.onPeer },
        channels: sockets.channels,
        clock: d.clock,
        log,
      })
      discovery.start()
      this.running = { discovery, sockets }
      log.info(`local peer discovery on (${sockets.channels.map((c) => c.host).join(', ')})`)
    } catch (err) {
      log.warn(`local peer discovery failed to start: ${errorText(err)}`)
    } finally {
      this.starting = false
    }
  }

  stop(): void {
    this.running?.discovery.stop()
    this.running?.sockets.close()
    this.running = null
  }

  /** Its counters while it runs (tests, diagnostics). */
  stats(): LocalDiscovery['stats'] | null {
    return this.running ? { ...this.running.discovery.stats } : null
  }
}
