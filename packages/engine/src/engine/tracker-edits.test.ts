import { afterEach, describe, expect, it } from 'vitest'
import { MemoryFilePort } from '../platform/memory-files.ts'
import { MemoryNetwork } from '../platform/memory-net.ts'
import { MemoryStateStore } from '../platform/memory-state.ts'
import { ManualClock } from '../util/clock.ts'
import { settle } from '../wire/peer-test-kit.ts'
import { BtEngine } from './bt-engine.ts'
import { createEngineApi } from './engine-api.ts'

// The user's tracker edits through the EngineApi, kept with the session across a restart.

const engines: BtEngine[] = []
afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop()
})

const HASH = 'cc'.repeat(20)
const T1 = 'http://127.0.0.1:1/announce'
const T2 = 'udp://127.0.0.1:2'
const T3 = 'http://127.0.0.1:3/announce'

async function engine(state = new MemoryStateStore()) {
  const clock = new ManualClock(1_000_000)
  const net = new MemoryNetwork({ setTimer: (fn, ms) => clock.setTimeout(fn, ms) })
  const e = new BtEngine({
    platform: { net: net.host('10.0.0.1'), files: new MemoryFilePort(), state, now: () => clock.now() },
    clock,
    settings: { dhtEnabled: false },
  })
  engines.push(e)
  await e.start()
  return { e, api: createEngineApi(e), state }
}

const list = (e: BtEngine) =>
  e
    .detail(HASH, ['trackers'])
    .trackers!.filter((r) => r.tier >= 0)
    .map((r) => `${r.tier} ${r.url}`)

describe('editing trackers', () => {
  it('adds, edits, removes and re-announces; the edited list survives a restart', async () => {
    const { e, api, state } = await engine()
    await api.addTorrent({ magnet: `magnet:?xt=urn:btih:${HASH}&tr=${encodeURIComponent(T1)}`, paused: true })
    await api.editTrackers(HASH, { kind: 'add', urls: [T2, T3] })
    expect(list(e)).toEqual([`0 ${T1}`, `1 ${T2}`, `2 ${T3}`])
    await api.editTrackers(HASH, { kind: 'edit', url: T3, tier: 0 })
    await api.editTrackers(HASH, { kind: 'edit', url: T2, newUrl: 'udp://127.0.0.1:4' })
    await api.editTrackers(HASH, { kind: 'remove', urls: [T1] })
    expect(list(e)).toEqual([`0 ${T3}`, '1 udp://127.0.0.1:4'])
    await api.editTrackers(HASH.toUpperCase(), { kind: 'reannounce' }) // paused: nothing to do, no error
    await expect(api.editTrackers(HASH, { kind: 'remove', urls: [T1] })).rejects.toThrow(/no such tracker/)
    await expect(api.editTrackers(HASH, { kind: 'add', urls: ['ftp://x/announce'] })).rejects.toThrow(/supported/)
    await expect(api.editTrackers('dd'.repeat(20), { kind: 'reannounce' })).rejects.toThrow(/unknown torrent/)

    await e.stop()
    engines.splice(engines.indexOf(e), 1)
    const { e: e2, api: api2 } = await engine(state)
    await settle()
    // the magnet still names T1, but the user removed it: the saved list wins
    expect(list(e2)).toEqual([`0 ${T3}`, '1 udp://127.0.0.1:4'])
    expect(await api2.magnetLink(HASH)).not.toContain(encodeURIComponent(T1))

    // adding the same torrent again merges its trackers into the edited list, kept too
    const r = await api2.addTorrentReport({ magnet: `magnet:?xt=urn:btih:${HASH}&tr=${encodeURIComponent(T1)}` })
    expect(r).toMatchObject({ alreadyAdded: true, trackersAdded: 1 })
    await e2.stop()
    engines.splice(engines.indexOf(e2), 1)
    const { e: e3 } = await engine(state)
    await settle()
    expect(list(e3)).toEqual([`0 ${T3}`, '1 udp://127.0.0.1:4', `2 ${T1}`])
  })
})
