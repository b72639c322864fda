import { describe, expect, it } from 'vitest'
import { inState, labelCounts, onTracker, stateCounts, trackerCounts, withLabel } from './state-filter.ts'

const rows = [
  { status: 'downloading' as const, stalled: 'No peers found yet.', trackerHosts: ['t.example'] },
  { status: 'seeding' as const, trackerHosts: ['t.example', 'u.example'] },
  { status: 'paused' as const, trackerHosts: [] },
  { status: 'error' as const, error: 'disk full', trackerHosts: ['u.example'] },
  { status: 'fetching-metadata' as const },
]

describe('sidebar filters', () => {
  it('a stalled download is both downloading and stalled; counts agree with the filter', () => {
    expect(inState(rows[0]!, 'downloading')).toBe(true)
    expect(inState(rows[0]!, 'stalled')).toBe(true)
    expect(stateCounts(rows)).toMatchObject({
      all: 5,
      downloading: 2,
      seeding: 1,
      paused: 1,
      stalled: 1,
      error: 1,
      queued: 0,
    })
  })
  it('by tracker host, with a group for torrents that have none', () => {
    expect(trackerCounts(rows)).toEqual([
      { host: '', count: 2 },
      { host: 't.example', count: 2 },
      { host: 'u.example', count: 2 },
    ])
    expect(rows.filter((r) => onTracker(r, 'u.example'))).toHaveLength(2)
    expect(rows.filter((r) => onTracker(r, ''))).toHaveLength(2)
    expect(rows.filter((r) => onTracker(r, null))).toHaveLength(5)
  })
  it('by label, with a group for torrents without one only while labels are in use', () => {
    const labelled = [
      { status: 'paused' as const, label: 'Linux' },
      { status: 'paused' as const, label: 'Audio' },
      { status: 'paused' as const, label: 'Linux' },
      { status: 'paused' as const },
    ]
    expect(labelCounts(labelled)).toEqual([
      { label: 'Audio', count: 1 },
      { label: 'Linux', count: 2 },
      { label: '', count: 1 },
    ])
    expect(labelled.filter((r) => withLabel(r, 'Linux'))).toHaveLength(2)
    expect(labelled.filter((r) => withLabel(r, ''))).toHaveLength(1)
    expect(labelled.filter((r) => withLabel(r, null))).toHaveLength(4)
    expect(labelCounts([{ status: 'paused' as const }])).toEqual([])
  })
})
