import { describe, expect, it } from 'vitest'
import type { LogEntry } from '../api/types.ts'
import { createEngineApi } from '../engine/engine-api.ts'
import type { LogPort } from '../platform/ports.ts'
import { setupEngine } from '../torrent/torrent-test-kit.ts'
import { createLogger, LogRing } from './log.ts'

function capture(components: string[]): LogPort & { lines: Array<{ entry: LogEntry; torrent?: string }> } {
  const lines: Array<{ entry: LogEntry; torrent?: string }> = []
  return { lines, enabled: (c) => components.includes(c), write: (entry, torrent) => lines.push({ entry, torrent }) }
}

describe('logger', () => {
  it('is off by default: no port and no ring log nothing, and a debug message is never built', () => {
    let built = 0
    const msg = () => `expensive ${++built}`
    const log = createLogger('peer', { now: () => 1 })
    log.debug?.(msg())
    log.info('x')
    expect(built).toBe(0)
    const port = capture(['tracker'])
    const other = createLogger('peer', { now: () => 1, port })
    other.debug?.(msg())
    other.warn('not wanted here')
    expect(built).toBe(0)
    expect(port.lines).toEqual([])
  })

  it('a wanted component writes every level to the port; a ring keeps info and above without one', () => {
    const port = capture(['tracker'])
    const ring = new LogRing(10)
    const log = createLogger('tracker', { now: () => 7, port, ring, torrent: 'ab' })
    log.debug?.('d')
    log.error('e')
    expect(port.lines.map((l) => [l.entry.level, l.entry.message, l.torrent])).toEqual([
      ['debug', 'd', 'ab'],
      ['error', 'e', 'ab'],
    ])
    const quiet = new LogRing(10)
    const q = createLogger('peer', { now: () => 8, ring: quiet })
    expect(q.debug).toBeUndefined()
    q.info('kept')
    expect(quiet.entries()).toEqual([{ at: 8, level: 'info', component: 'peer', message: 'kept' }])
  })

  it('the ring keeps the last entries, oldest first', () => {
    const ring = new LogRing(500)
    for (let i = 0; i < 1234; i++) ring.push({ at: i, level: 'info', component: 'torrent', message: String(i) })
    const out = ring.entries()
    expect(out).toHaveLength(500)
    expect(out[0]!.at).toBe(734)
    expect(out[499]!.at).toBe(1233)
  })

  it("a ban shows in the torrent's log through the engine API, without any debug setting", async () => {
    const { e, t } = await setupEngine({ seed: true })
    t.pool.addPeer('10.0.0.7', 6881, 'tracker')
    t.pool.markHashFailure('10.0.0.7', 6881, { shared: false })
    const lines = await createEngineApi(e).torrentLog(t.infoHash.toUpperCase())
    expect(
      lines.some((l) => l.level === 'info' && l.component === 'pool' && l.message.includes('banned 10.0.0.7:6881')),
    ).toBe(true)
    expect(lines.every((l) => l.level !== 'debug')).toBe(true)
    expect(await createEngineApi(e).torrentLog('00'.repeat(20))).toEqual([])
    await e.stop()
  })
})
