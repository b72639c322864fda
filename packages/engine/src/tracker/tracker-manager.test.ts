import { describe, expect, it } from 'vitest'
import { MemoryNetwork } from '../platform/memory-net.ts'
import { ManualClock } from '../util/clock.ts'
import type { PeerAddress } from '../util/peer-address.ts'
import type { AnnounceCallOptions } from './announce.ts'
import type { AnnounceParams, AnnounceResult } from './announce-types.ts'
import { TrackerError } from './tracker-error.ts'
import { NO_REPLY_MESSAGE, TrackerManager, type TrackerManagerOptions } from './tracker-manager.ts'

type Behaviour = AnnounceResult | TrackerError | 'hang'

async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve()
}

function harness(tiers: string[][], behaviour: Record<string, Behaviour>, extra: Partial<TrackerManagerOptions> = {}) {
  const clock = new ManualClock(0)
  const calls: Array<{
    url: string
    event?: string
    at: number
    numwant?: number
    trackerId?: string
    timeoutMs?: number
  }> = []
  const peers: Array<{ url: string; peers: PeerAddress[] }> = []
  const stats = { uploaded: 0, downloaded: 0, left: 1000 }
  const m = new TrackerManager({
    tiers,
    infoHash: new Uint8Array(20),
    peerId: new Uint8Array(20),
    net: new MemoryNetwork().host('10.0.0.1'),
    clock,
    port: () => 6881,
    stats: () => stats,
    onPeers: (p, url) => peers.push({ url, peers: p }),
    random: () => 0.999, // Fisher-Yates with j = i: the shuffle keeps the given order
    announcer: (url: string, p: AnnounceParams, o: AnnounceCallOptions) => {
      calls.push({
        url,
        event: p.event,
        at: clock.now(),
        numwant: p.numwant,
        trackerId: p.trackerId,
        timeoutMs: o.timeoutMs,
      })
      const b = behaviour[url]
      if (b === 'hang') return new Promise(() => {})
      return b instanceof TrackerError ? Promise.reject(b) : Promise.resolve(b)
    },
    ...extra,
  })
  return { m, clock, calls, peers, stats }
}

const ok = (interval: number, extra: Partial<AnnounceResult> = {}): AnnounceResult => ({
  interval,
  peers: [{ ip: '1.1.1.1', port: 1 }],
  ...extra,
})
const fail = (msg: string) => new TrackerError('network', msg)

describe('TrackerManager', () => {
  it('tries a tier in order, moves the working tracker to the front, and re-announces at its interval', async () => {
    const h = harness([['http://a/announce', 'udp://b:1']], {
      'http://a/announce': fail('refused'),
      'udp://b:1': ok(1800, { complete: 3, incomplete: 4, warning: 'be nice' }),
    })
    h.m.start()
    await flush()
    expect(h.calls.map((c) => [c.url, c.event])).toEqual([
      ['http://a/announce', 'started'],
      ['udp://b:1', 'started'],
    ])
    expect(h.peers).toEqual([{ url: 'udp://b:1', peers: [{ ip: '1.1.1.1', port: 1 }] }])
    const rows = h.m.rows()
    expect(rows.map((r) => [r.url, r.status, r.message])).toEqual([
      ['udp://b:1', 'working', 'be nice'],
      ['http://a/announce', 'error', 'refused'],
    ])
    expect(rows[0]).toMatchObject({
      seeders: 3,
      leechers: 4,
      peersReceived: 1,
      lastAnnounce: 0,
      nextAnnounce: 1_800_000,
    })
    h.clock.advance(1_799_999)
    await flush()
    expect(h.calls).toHaveLength(2)
    h.clock.advance(1)
    await flush()
    expect(h.calls.slice(2).map((c) => [c.url, c.event])).toEqual([['udp://b:1', undefined]])
  })
  it('announces to every tier in parallel and only the first working tracker of each', async () => {
    const h = harness([['http://a', 'http://a2'], ['http://b'], ['wss://c']], {
      'http://a': ok(600),
      'http://a2': ok(600),
      'http://b': ok(900),
    })
    h.m.start()
    await flush()
    expect(h.calls.map((c) => c.url).sort()).toEqual(['http://a', 'http://b'])
    expect(h.m.rows().find((r) => r.url === 'wss://c')).toMatchObject({ status: 'disabled', tier: 2 })
  })
  it('announceNow respects min interval; completed goes out at once and only once', async () => {
    const h = harness([['http://a']], { 'http://a': ok(1800, { minInterval: 120 }) })
    h.m.start()
    await flush()
    h.clock.advance(10_000)
    h.m.announceNow()
    await flush()
    expect(h.calls).toHaveLength(1)
    h.clock.advance(110_000)
    await flush()
    expect(h.calls.map((c) => [c.at, c.event])).toEqual([
      [0, 'started'],
      [120_000, undefined],
    ])
    h.stats.left = 0
    h.m.completed()
    h.clock.advance(0)
    await flush()
    expect(h.calls[2]).toMatchObject({ event: 'completed', at: 120_000 })
    h.clock.advance(1_800_000)
    await flush()
    expect(h.calls[3]).toMatchObject({ event: undefined, at: 1_920_000 })
  })
  it('backs off when a whole tier fails, doubling the wait', async () => {
    const h = harness([['http://a', 'http://b']], {
      'http://a': fail('x'),
      'http://b': new TrackerError('failure', 'unregistered torrent'),
    })
    h.m.start()
    await flush()
    h.clock.advance(30_000)
    await flush()
    h.clock.advance(60_000)
    await flush()
    expect(h.calls.map((c) => c.at)).toEqual([0, 0, 30_000, 30_000, 90_000, 90_000])
    expect(h.m.rows().map((r) => r.message)).toEqual(['x', 'unregistered torrent'])
    expect(h.m.rows()[0].nextAnnounce).toBe(90_000 + 120_000)
  })
  it('stop sends a bounded stopped only to trackers that saw started, and ends re-announcing', async () => {
    const h = harness(
      [['http://a'], ['http://dead']],
      { 'http://a': ok(60, { trackerId: 'T1' }), 'http://dead': fail('down') },
      { stopTimeoutMs: 2000 },
    )
    h.m.start()
    await flush()
    await h.m.stop()
    const stops = h.calls.filter((c) => c.event === 'stopped')
    expect(stops).toEqual([{ url: 'http://a', event: 'stopped', at: 0, numwant: 0, trackerId: 'T1', timeoutMs: 2000 }])
    h.clock.advance(10 * 3600_000)
    await flush()
    expect(h.calls).toHaveLength(3)
    expect(h.clock.pending()).toBe(0)
  })
  it('a completion just before stop still reaches the tracker: completed, then stopped', async () => {
    const h = harness([['http://a']], { 'http://a': ok(60) })
    h.m.start()
    await flush()
    h.stats.left = 0
    h.m.completed() // its announce is scheduled…
    await h.m.stop() // …and cut off by an immediate stop (the CLI exits at completion)
    expect(h.calls.map((c) => [c.url, c.event])).toEqual([
      ['http://a', 'started'],
      ['http://a', 'completed'],
      ['http://a', 'stopped'],
    ])
    // a completion the tracker already heard of is not repeated
    const h2 = harness([['http://a']], { 'http://a': ok(60) })
    h2.m.start()
    await flush()
    h2.m.completed()
    h2.clock.advance(0)
    await flush()
    await h2.m.stop()
    expect(h2.calls.map((c) => c.event)).toEqual(['started', 'completed', 'stopped'])
    // a completed announce already on its way when stop() comes is let finish, not cut off and resent
    const behaviour: Record<string, Behaviour> = { 'http://a': ok(60) }
    const h3 = harness([['http://a']], behaviour)
    h3.m.start()
    await flush()
    behaviour['http://a'] = 'hang'
    h3.m.completed()
    h3.clock.advance(0)
    await flush()
    expect(h3.calls.map((c) => c.event)).toEqual(['started', 'completed'])
    const stopping = h3.m.stop()
    await flush()
    expect(h3.calls.map((c) => c.event)).toEqual(['started', 'completed']) // waiting for it
    behaviour['http://a'] = ok(60) // the tracker is back, but that announce never got an answer:
    h3.clock.advance(5000) // after the stop timeout, completed once more, then stopped
    await flush()
    await stopping
    expect(h3.calls.map((c) => c.event)).toEqual(['started', 'completed', 'completed', 'stopped'])
    // all within one stop budget (5 s by default): what is left of it, or a floor of 250 ms
    expect(h3.calls.slice(2).map((c) => c.timeoutMs)).toEqual([250, 250])
    // and one that is answered while stop() waits is not repeated
    const b4: Record<string, Behaviour> = { 'http://a': ok(60) }
    let release: () => void = () => {}
    const h4 = harness([['http://a']], b4, {
      announcer: (_url, p) => {
        h4calls.push(p.event)
        return p.event === 'completed'
          ? new Promise((r) => {
              release = () => r(ok(60))
            })
          : Promise.resolve(ok(60))
      },
    })
    const h4calls: Array<string | undefined> = []
    h4.m.start()
    await flush()
    h4.m.completed()
    h4.clock.advance(0)
    await flush()
    const stopping4 = h4.m.stop()
    await flush()
    release()
    await stopping4
    expect(h4calls).toEqual(['started', 'completed', 'stopped'])
  })

  it('after a fail-over, stop reaches both trackers that saw started', async () => {
    const behaviour: Record<string, AnnounceResult | TrackerError> = { 'http://a': ok(60), 'http://b': ok(60) }
    const h = harness([['http://a', 'http://b']], behaviour)
    h.m.start()
    await flush()
    behaviour['http://a'] = fail('gone')
    h.clock.advance(60_000)
    await flush()
    expect(h.calls.map((c) => [c.url, c.event])).toEqual([
      ['http://a', 'started'],
      ['http://a', undefined],
      ['http://b', 'started'],
    ])
    await h.m.stop()
    expect(
      h.calls
        .slice(3)
        .map((c) => [c.url, c.event])
        .sort(),
    ).toEqual([
      ['http://a', 'stopped'],
      ['http://b', 'stopped'],
    ])
  })
  it('ignores answers that arrive after stop and can start again', async () => {
    const h = harness([['http://slow']], { 'http://slow': 'hang' })
    h.m.start()
    await flush()
    expect(h.m.rows()[0].status).toBe('announcing')
    await h.m.stop()
    h.m.start()
    await flush()
    expect(h.calls.map((c) => c.event)).toEqual(['started', 'started'])
  })
})

describe('TrackerManager robustness', () => {
  it('a throwing onPeers neither fails the tracker nor stops re-announcing', async () => {
    const h = harness(
      [['http://a']],
      { 'http://a': ok(60) },
      {
        onPeers: () => {
          throw new Error('consumer bug')
        },
      },
    )
    h.m.start()
    await flush()
    expect(h.m.rows()[0]).toMatchObject({ status: 'working', nextAnnounce: 60_000 })
    h.clock.advance(60_000)
    await flush()
    expect(h.calls).toHaveLength(2)
  })
})

describe('TrackerManager interval floor', () => {
  it('re-announces no faster than 30 s by default, or the configured floor', async () => {
    const h = harness([['http://a']], { 'http://a': ok(5) })
    h.m.start()
    await flush()
    expect(h.m.rows()[0].nextAnnounce).toBe(30_000)
    const h2 = harness([['http://a']], { 'http://a': ok(5) }, { minAnnounceIntervalMs: 1000 })
    h2.m.start()
    await flush()
    expect(h2.m.rows()[0].nextAnnounce).toBe(5_000)
  })
})

describe('TrackerManager with the default announcer', () => {
  it('reports an unreachable HTTP tracker as an error row and retries later', async () => {
    const clock = new ManualClock(0)
    const m = new TrackerManager({
      tiers: [['http://10.9.9.9/announce']],
      infoHash: new Uint8Array(20),
      peerId: new Uint8Array(20),
      net: new MemoryNetwork().host('10.0.0.1'),
      clock,
      port: 1,
      stats: () => ({ uploaded: 0, downloaded: 0, left: 1 }),
      onPeers: () => {},
    })
    m.start()
    await flush()
    await flush()
    expect(m.rows()[0]).toMatchObject({ status: 'error', nextAnnounce: 30_000 })
    expect(m.rows()[0].message).toMatch(/refused/)
    await m.stop()
  })
  it('says so on the row when an announce has had no reply for 15 s', async () => {
    const h = harness([['udp://silent:1']], { 'udp://silent:1': 'hang' })
    h.m.start()
    await flush()
    expect(h.m.rows()[0]).toMatchObject({ status: 'announcing' })
    expect(h.m.rows()[0].message).toBeUndefined()
    h.clock.advance(15_000)
    expect(h.m.rows()[0]).toMatchObject({ status: 'announcing', message: NO_REPLY_MESSAGE })
    await h.m.stop()
  })

  it('reports a UDP tracker on a dead port as an error within a minute, not announcing for minutes', async () => {
    const clock = new ManualClock(0)
    const m = new TrackerManager({
      tiers: [['udp://10.9.9.9:6969/announce']],
      infoHash: new Uint8Array(20),
      peerId: new Uint8Array(20),
      net: new MemoryNetwork().host('10.0.0.1'),
      clock,
      port: 1,
      stats: () => ({ uploaded: 0, downloaded: 0, left: 1 }),
      onPeers: () => {},
    })
    m.start()
    for (let i = 0; i < 46; i++) {
      await flush()
      clock.advance(1000)
    }
    await flush()
    expect(m.rows()[0]).toMatchObject({ status: 'error' })
    expect(m.rows()[0].message).toMatch(/no answer from udp tracker/)
    await m.stop()
  })
})
