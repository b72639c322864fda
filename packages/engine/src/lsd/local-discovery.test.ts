import { describe, expect, it } from 'vitest'
import { ManualClock } from '../util/clock.ts'
import { createLogger } from '../util/log.ts'
import { decodeLsdAnnounce, encodeLsdAnnounce } from './lsd-message.ts'
import { LocalDiscovery } from './local-discovery.ts'

const A = 'a'.repeat(40)
const B = 'b'.repeat(40)
const log = createLogger('lsd', { now: () => 0 })

function setup(opts: { torrents?: string[]; port?: number } = {}) {
  const clock = new ManualClock(1_000_000)
  const state = { torrents: opts.torrents ?? [A], port: opts.port ?? 6881 }
  const sent: Array<{ host: string; at: number; infoHash: string; port: number; cookie?: string }> = []
  const peers: Array<[string, string, number]> = []
  const channel = (host: string) => ({
    host,
    send: (d: Uint8Array) => {
      const m = decodeLsdAnnounce(d)!
      sent.push({ host, at: clock.now(), infoHash: m.infoHashes[0], port: m.port, cookie: m.cookie })
    },
  })
  const lsd = new LocalDiscovery({
    host: {
      torrents: () => state.torrents,
      listenPort: () => state.port,
      onPeer: (h, ip, port) => peers.push([h, ip, port]),
    },
    channels: [channel('239.192.152.143'), channel('[ff15::efc0:152:143]')],
    clock,
    log,
    cookie: 'c0ffee',
  })
  return { clock, state, sent, peers, lsd }
}

describe('LocalDiscovery', () => {
  it('announces a torrent on start to every group, sends it again twice, then not before 5 minutes', () => {
    const s = setup()
    s.lsd.start()
    expect(s.sent.map((m) => [m.host, m.infoHash, m.port, m.cookie])).toEqual([
      ['239.192.152.143', A, 6881, 'c0ffee'],
      ['[ff15::efc0:152:143]', A, 6881, 'c0ffee'],
    ])
    s.clock.advance(10_000)
    // the two resends (libtorrent also sends three times, multicast being lossy)
    expect(s.sent.map((m) => m.at - 1_000_000)).toEqual([0, 0, 2000, 2000, 6000, 6000])
    s.clock.advance(5 * 60_000 - 10_000 - 1000)
    expect(s.sent).toHaveLength(6)
    s.clock.advance(1000)
    expect(s.sent).toHaveLength(8)
    expect(s.sent.at(-1)!.at - 1_000_000).toBe(5 * 60_000)
    s.lsd.stop()
    s.clock.advance(10 * 60_000)
    expect(s.sent).toHaveLength(8)
  })

  it('a torrent that starts is announced within a second; a restart only after 10 s', () => {
    const s = setup({ torrents: [] })
    s.lsd.start()
    s.clock.advance(5000)
    expect(s.sent).toEqual([])
    s.state.torrents = [B]
    s.clock.advance(1000)
    expect(s.sent.filter((m) => m.infoHash === B)).toHaveLength(2)
    s.clock.advance(7000)
    const before = s.sent.length
    // stopped and started again quickly: no new round yet
    s.state.torrents = []
    s.clock.advance(1000)
    s.state.torrents = [B]
    s.clock.advance(1000)
    expect(s.sent.length).toBe(before)
    s.clock.advance(1000)
    expect(s.sent.length).toBe(before + 2) // 10 s after the last round: the restart's announce
  })

  it('sends nothing while we are not listening (port 0)', () => {
    const s = setup({ port: 0 })
    s.lsd.start()
    s.clock.advance(60_000)
    expect(s.sent).toEqual([])
  })

  it('hands peers of our torrents to the host; ignores its own cookie, other torrents and bad senders', () => {
    const s = setup({ torrents: [A] })
    s.lsd.start()
    const from = { address: '192.168.1.20', port: 6771 }
    s.lsd.onDatagram(encodeLsdAnnounce(A, 7000, 'c0ffee', '239.192.152.143'), from) // our own, looped back
    s.lsd.onDatagram(encodeLsdAnnounce(B, 7001, '99', '239.192.152.143'), from) // not a torrent we run
    s.lsd.onDatagram(encodeLsdAnnounce(A, 7002, '99', '239.192.152.143'), { address: '0.0.0.0', port: 6771 })
    s.lsd.onDatagram(encodeLsdAnnounce(A, 7003, '99', '239.192.152.143'), { address: 'ff02::1', port: 6771 })
    s.lsd.onDatagram(new TextEncoder().encode('M-SEARCH * HTTP/1.1\r\n\r\n'), from)
    expect(s.peers).toEqual([])
    s.lsd.onDatagram(encodeLsdAnnounce(A, 7004, '99', '239.192.152.143'), from)
    s.lsd.onDatagram(encodeLsdAnnounce(A, 7005, '98', '[ff15::efc0:152:143]'), { address: 'fe80::1234', port: 6771 })
    s.lsd.onDatagram(encodeLsdAnnounce(A, 7006, '97', '239.192.152.143'), { address: '::ffff:10.0.0.5', port: 6771 })
    expect(s.peers).toEqual([
      [A, '192.168.1.20', 7004],
      [A, 'fe80::1234', 7005],
      [A, '10.0.0.5', 7006],
    ])
    expect(s.lsd.stats).toMatchObject({ ownIgnored: 1, peers: 3 })
  })

  it('a flood of announces: at most 500 datagrams read and 100 peers taken a second', () => {
    const s = setup({ torrents: [A] })
    s.lsd.start()
    for (let i = 0; i < 1000; i++)
      s.lsd.onDatagram(encodeLsdAnnounce(A, 1000 + i, '1', '239.192.152.143'), {
        address: `10.0.${i >> 8}.${i & 255 || 1}`,
        port: 6771,
      })
    expect(s.peers).toHaveLength(100)
    expect(s.lsd.stats.received).toBe(500) // the rest were dropped unread
    s.clock.advance(1000)
    s.lsd.onDatagram(encodeLsdAnnounce(A, 5000, '1', '239.192.152.143'), { address: '10.9.9.9', port: 6771 })
    expect(s.peers).toHaveLength(101)
  })

  it('starts at most 10 announce rounds a second', () => {
    const many = Array.from({ length: 25 }, (_, i) => i.toString(16).padStart(40, 'c'))
    const s = setup({ torrents: many })
    s.lsd.start()
    const firstRound = () => new Set(s.sent.filter((m) => m.at === s.clock.now()).map((m) => m.infoHash)).size
    expect(firstRound()).toBe(10)
    s.clock.advance(1000)
    s.clock.advance(1000)
    expect(new Set(s.sent.map((m) => m.infoHash)).size).toBe(25)
  })

  it('makes a random cookie when none is given', () => {
    const a = new LocalDiscovery({
      host: { torrents: () => [], listenPort: () => 1, onPeer: () => {} },
      channels: [],
      clock: new ManualClock(),
      log,
    })
    expect(a.cookie).toMatch(/^[0-9a-f]{1,8}$/)
  })
})
