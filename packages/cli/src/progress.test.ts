import { describe, expect, it } from 'vitest'
import type { TorrentSummary } from '@tidepool/engine'
import { dhtJson, formatBytes, formatEta, LineRenderer, progressBar, statusJson, statusLine } from './progress.ts'

const summary: TorrentSummary = {
  infoHash: 'ab'.repeat(20),
  name: 'ubuntu.iso',
  totalSize: 1 << 30,
  downloaded: 1 << 29,
  progress: 0.5,
  status: 'downloading',
  downloadRate: 3 * 1024 * 1024,
  uploadRate: 0,
  uploadedTotal: 0,
  downloadedTotal: 1 << 29,
  connected: 4,
  connecting: 2,
  seeds: 3,
  swarmSize: 40,
  etaSec: 125,
  ratio: 0,
  addedAt: 0,
  savePath: 'downloads',
}

describe('progress formatting', () => {
  it('formats sizes, ETAs and bars', () => {
    expect(formatBytes(0)).toBe('0 B')
    expect(formatBytes(1536)).toBe('1.5 KiB')
    expect(formatBytes(3 * 1024 * 1024)).toBe('3.0 MiB')
    expect(formatEta(null)).toBe('--:--')
    expect(formatEta(125)).toBe('02:05')
    expect(formatEta(3725)).toBe('1:02:05')
    expect(progressBar(0.5, 10)).toBe('#####-----')
    expect(progressBar(2, 4)).toBe('####')
  })
  it('a status line carries percent, rate, peers and ETA', () => {
    const line = statusLine(summary, 120)
    expect(line).toContain('50.0%')
    expect(line).toContain('3.0 MiB/s')
    expect(line).toContain('peers 4 (+2 connecting)')
    expect(line).toContain('eta 02:05')
    expect(line.length).toBeLessThanOrEqual(130)
  })
  it('json status has the fields the tests rely on', () => {
    const j = statusJson(summary)
    expect(j).toMatchObject({
      infoHash: summary.infoHash,
      progress: 0.5,
      downloadRate: 3 * 1024 * 1024,
      connected: 4,
      connecting: 2,
    })
    expect(JSON.parse(JSON.stringify(j))).toEqual(j)
  })
  it("json status carries the DHT's state and node count; a missing status reads as off", () => {
    expect(dhtJson({ state: 'bootstrapping', nodes: 3, port: 6881, message: 'x' })).toEqual({
      state: 'bootstrapping',
      nodes: 3,
    })
    expect(dhtJson(undefined)).toEqual({ state: 'off', nodes: 0 })
    expect(statusJson(summary, { dht: dhtJson({ state: 'ready', nodes: 120, port: null }) }).dht).toEqual({
      state: 'ready',
      nodes: 120,
    })
  })
  it('redraws in place on a TTY and appends otherwise', () => {
    const out: string[] = []
    const tty = new LineRenderer((s) => out.push(s), true)
    tty.render(['a', 'b'])
    tty.render(['c', 'd'])
    expect(out[0]).not.toContain('\x1b[2A')
    expect(out[1].startsWith('\x1b[2A')).toBe(true)
    const plain: string[] = []
    new LineRenderer((s) => plain.push(s), false).render(['x', 'y'])
    expect(plain.join('')).toBe('x\ny\n')
  })
})
