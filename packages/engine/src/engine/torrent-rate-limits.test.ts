import { afterEach, describe, expect, it } from 'vitest'
import { MemoryFilePort } from '../platform/memory-files.ts'
import { MemoryNetwork } from '../platform/memory-net.ts'
import { MemoryStateStore } from '../platform/memory-state.ts'
import { ManualClock } from '../util/clock.ts'
import { settle } from '../wire/peer-test-kit.ts'
import { BtEngine } from './bt-engine.ts'
import { createEngineApi } from './engine-api.ts'

const engines: BtEngine[] = []
afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop()
})
const HASH = 'ab'.repeat(20)

async function engine(state: MemoryStateStore) {
  const clock = new ManualClock(1_000_000)
  const e = new BtEngine({
    platform: { net: new MemoryNetwork().host('10.0.0.1'), files: new MemoryFilePort(), state, now: () => clock.now() },
    clock,
    settings: { dhtEnabled: false },
  })
  engines.push(e)
  await e.start()
  return { e, api: createEngineApi(e) }
}

describe("a torrent's own speed limits", () => {
  it('are set through the API, shown in the summary and kept over a restart', async () => {
    const state = new MemoryStateStore()
    const { e, api } = await engine(state)
    await api.addTorrent({ magnet: `magnet:?xt=urn:btih:${HASH}`, paused: true })
    await api.setTorrentRateLimits(HASH, { download: 40_000, upload: 0 })
    expect((await api.listTorrents())[0]).toMatchObject({ downloadLimit: 40_000 })
    expect((await api.listTorrents())[0]).not.toHaveProperty('uploadLimit')
    await expect(api.setTorrentRateLimits('cd'.repeat(20), { download: 1, upload: 1 })).rejects.toThrow(/unknown/)
    await e.stop()
    engines.splice(0)
    const { api: api2 } = await engine(state)
    await settle()
    expect((await api2.listTorrents())[0]).toMatchObject({ downloadLimit: 40_000 })
    await api2.setTorrentRateLimits(HASH, { download: 0, upload: 0 })
    expect((await api2.listTorrents())[0]).not.toHaveProperty('downloadLimit')
  })
})
