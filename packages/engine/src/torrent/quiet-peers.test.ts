import { describe, expect, it } from 'vitest'
import type { ManualClock } from '../util/clock.ts'
import { settle } from '../wire/peer-test-kit.ts'
import { HAVE_ALL, KEEP_ALIVE, UNCHOKE } from '../wire/wire-codec.ts'
import { dialedRaw, setupEngine } from './torrent-test-kit.ts'

// "A peer stayed Connected, receiving nothing, for 20+ s": peers that hold every piece but send no
// data, one that unchokes us and never answers, one that never unchokes us. What the torrent's row
// and the Peers tab say about them.

async function run(clock: ManualClock, ms: number, each: () => void = () => {}): Promise<void> {
  for (let waited = 0; waited < ms; waited += 100) {
    clock.advance(100)
    if (waited % 30_000 === 0) each()
    await settle()
  }
}

describe('connected peers that send nothing', () => {
  it('are shown as choking us or, past the 20 s snub timeout, as snubbed; the Stalled reason counts them', async () => {
    const { clock, net, e, t, infoHash } = await setupEngine({ seed: false })
    const silent = await dialedRaw(clock, net, t, '10.0.0.7')
    silent.sendHandshake({ fast: true, extended: false }, infoHash)
    silent.write(HAVE_ALL, UNCHOKE)
    const choking = await dialedRaw(clock, net, t, '10.0.0.8')
    choking.sendHandshake({ fast: true, extended: false }, infoHash)
    choking.write(HAVE_ALL)
    await run(clock, 2000)
    const flags = () => Object.fromEntries(t.detail(['peers']).peers!.map((p) => [p.ip, p.flags]))
    // interested in both; one unchoked us and has our requests, the other chokes us
    expect(flags()).toEqual({ '10.0.0.7': 'D', '10.0.0.8': 'd' })
    expect(silent.types()).toContain('request')
    expect(t.summary().stalled).toBe(
      'Connected peers are not sending anything yet. 1 chokes us (no upload slot for us yet).',
    )

    // both keep the connection alive, so neither is closed as idle
    await run(clock, 21_000, () => {
      silent.write(KEEP_ALIVE)
      choking.write(KEEP_ALIVE)
    })
    expect(flags()).toEqual({ '10.0.0.7': 'DS', '10.0.0.8': 'd' })
    expect(t.summary().stalled).toBe(
      'Connected peers are not sending anything yet. 1 chokes us (no upload slot for us yet); 1 unchoked us but sent nothing (snubbed).',
    )
    expect(t.pool.findPeer('10.0.0.7', 6881)).toMatchObject({ state: 'connected', snubs: 1 })
    expect(t.pool.findPeer('10.0.0.8', 6881)).toMatchObject({ state: 'connected', snubs: 0 })
    // the snubbed peer's requests were cancelled; it is asked for one block at a time from now on
    expect(silent.types()).toContain('cancel')
    await e.stop()
  })
})
