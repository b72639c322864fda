import type { Logger } from '../platform/ports.ts'
import { isUnusableAddress, isValidPort, parseIp } from '../pool/ip-address.ts'
import type { Clock, TimerHandle } from '../util/clock.ts'
import { decodeLsdAnnounce, encodeLsdAnnounce } from './lsd-message.ts'

/** One multicast group we announce to (one per address family and group address). */
export interface LsdChannel {
  /** the group as the Host header names it: "239.192.152.143" or "[ff15::efc0:152:143]" */
  readonly host: string
  send(data: Uint8Array): void
}

/** What local discovery needs of the engine. */
export interface LocalDiscoveryHost {
  /** Info-hashes (hex) that may be announced now: running torrents that are not private. */
  torrents(): string[]
  /** The port we accept peers on; 0 while not listening (nothing is announced then). */
  listenPort(): number
  /** Someone on the LAN has this torrent and accepts peers at ip:port. Only hashes from torrents(). */
  onPeer(infoHash: string, ip: string, port: number): void
}

export interface LocalDiscoveryOptions {
  host: LocalDiscoveryHost
  channels: LsdChannel[]
  clock: Clock
  log: Logger
  /** identifies our own messages when the group loops them back to us; random when absent */
  cookie?: string
  /** a torrent is announced at most this often (default 5 minutes, as libtorrent) */
  intervalMs?: number
  /** a torrent that (re)starts is announced at once unless it was within this long (default 10 s) */
  restartGapMs?: number
}

/** How often the scheduler looks for due announces. */
const TICK_MS = 1000
/** Announce rounds started per tick at most: a thousand torrents starting at once go out over 100 s. */
const MAX_ANNOUNCES_PER_TICK = 10
/** Each round is sent again after these delays (multicast is lossy; libtorrent also sends three times). */
const RESEND_AFTER_MS = [2000, 6000]
/** Peers taken from the LAN per tick at most; more (a flood) are dropped. */
const MAX_PEERS_PER_TICK = 100
/** Datagrams read per tick at most; more are dropped unread, so a flood costs little CPU. */
const MAX_DATAGRAMS_PER_TICK = 500

/**
 * Local peer discovery (BEP 14), platform-free: announces each torrent the host lists to every channel
 * on start and then every `intervalMs`, reads announces from the LAN and hands peers of our torrents to
 * the host. Our own announces (looped back by the group) are recognised by the cookie and ignored.
 */
export class LocalDiscovery {
  readonly cookie: string
  private readonly intervalMs: number
  private readonly restartGapMs: number
  private readonly lastAnnounced = new Map<string, number>()
  private listedBefore = new Set<string>()
  /** torrents that appeared in the list (started) and have not been announced since */
  private readonly starting = new Set<string>()
  private readonly resends: Array<{ at: number; infoHash: string }> = []
  private timer: TimerHandle | null = null
  private peersThisTick = 0
  private datagramsThisTick = 0
  private dropped = 0
  /** datagrams sent and announces taken, for tests and the log */
  readonly stats = { sent: 0, received: 0, ownIgnored: 0, peers: 0 }

  constructor(private readonly o: LocalDiscoveryOptions) {
    this.cookie = o.cookie ?? randomCookie()
    this.intervalMs = o.intervalMs ?? 5 * 60_000
    this.restartGapMs = o.restartGapMs ?? 10_000
  }

  start(): void {
    if (this.timer !== null) return
    this.tick()
  }

  stop(): void {
    if (this.timer !== null) this.o.clock.clearTimeout(this.timer)
    this.timer = null
    this.resends.length = 0
  }

  /** A datagram arrived on one of the LSD sockets. */
  onDatagram(data: Uint8Array, from: { address: string; port: number }): void {
    if (++this.datagramsThisTick > MAX_DATAGRAMS_PER_TICK) {
      this.dropped++
      return
    }
    const msg = decodeLsdAnnounce(data)
    if (!msg) return
    if (msg.cookie !== undefined && msg.cookie === this.cookie) {
      this.stats.ownIgnored++
      return
    }
    const ip = parseIp(from.address)
    if (!ip || isUnusableAddress(ip) || !isValidPort(msg.port)) return
    this.stats.received++
    // the torrents listed at the last tick: a torrent started since is known within a second
    for (const h of msg.infoHashes) {
      if (!this.listedBefore.has(h)) continue
      if (this.peersThisTick >= MAX_PEERS_PER_TICK) {
        this.dropped++
        continue
      }
      this.peersThisTick++
      this.stats.peers++
      this.o.log.debug?.(`peer ${ip.text} port ${msg.port} has ${h}`)
      this.o.host.onPeer(h, ip.text, msg.port)
    }
  }

  private tick(): void {
    const now = this.o.clock.now()
    if (this.dropped > 0) this.o.log.debug?.(`dropped ${this.dropped} announces over the per-second caps`)
    this.dropped = 0
    this.peersThisTick = 0
    this.datagramsThisTick = 0
    const listed = this.o.host.torrents()
    for (const h of listed) if (!this.listedBefore.has(h)) this.starting.add(h)
    this.listedBefore = new Set(listed)
    for (const h of this.starting) if (!this.listedBefore.has(h)) this.starting.delete(h)
    const port = this.o.host.listenPort()
    if (port > 0) {
      let started = 0
      for (const h of listed) {
        if (started >= MAX_ANNOUNCES_PER_TICK) break
        const last = this.lastAnnounced.get(h)
        const gap = this.starting.has(h) ? this.restartGapMs : this.intervalMs
        if (last !== undefined && now - last < gap) continue
        started++
        this.starting.delete(h)
        this.lastAnnounced.set(h, now)
        this.send(h, port)
        for (const d of RESEND_AFTER_MS) this.resends.push({ at: now + d, infoHash: h })
      }
      // a torrent that went away in the meantime is not announced again
      for (let i = 0; i < this.resends.length; ) {
        const r = this.resends[i]
        if (r.at > now) {
          i++
          continue
        }
        this.resends.splice(i, 1)
        if (this.listedBefore.has(r.infoHash)) this.send(r.infoHash, port)
      }
      // forget torrents long gone, so the map stays as big as the torrent list
      if (this.lastAnnounced.size > 2 * listed.length + 16)
        for (const h of this.lastAnnounced.keys()) if (!this.listedBefore.has(h)) this.lastAnnounced.delete(h)
    }
    this.timer = this.o.clock.setTimeout(() => this.tick(), TICK_MS)
  }

  private send(infoHash: string, port: number): void {
    for (const c of this.o.channels) {
      c.send(encodeLsdAnnounce(infoHash, port, this.cookie, c.host))
      this.stats.sent++
    }
  }
}

function randomCookie(): string {
  const b = new Uint32Array(1)
  crypto.getRandomValues(b)
  return (b[0] & 0x7fffffff || 1).toString(16)
}
