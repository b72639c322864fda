import { describe, expect, it } from 'vitest'
import type { TrackerRow } from '../api/types.ts'
import { stalledReason } from './torrent-rows.ts'

const tracker = (status: TrackerRow['status']): TrackerRow => ({
  url: 'udp://t:1',
  tier: 0,
  status,
  lastAnnounce: null,
  nextAnnounce: null,
  peersReceived: 0,
  seeders: null,
  leechers: null,
})
const base = {
  status: 'downloading' as const,
  downloadRate: 0,
  connected: 0,
  connecting: 0,
  known: 0,
  trackers: [tracker('working')],
}

describe('the Stalled state and its reason', () => {
  it('names web seeds when no peer is connected: waiting for them, or all of them failing', () => {
    expect(stalledReason({ ...base, webSeeds: { active: 2, failing: 1 } })).toBe(
      'No peer connected; asking the web seeds…',
    )
    expect(stalledReason({ ...base, webSeeds: { active: 1, failing: 1 } })).toMatch(/the web seed is failing/)
    expect(stalledReason({ ...base, webSeeds: { active: 3, failing: 3 } })).toMatch(/all 3 web seeds are failing/)
    // none running (setting off): the peers' reasons as before
    expect(stalledReason({ ...base, webSeeds: { active: 0, failing: 0 } })).toBe(stalledReason(base))
  })

  it('only while something should move and nothing does', () => {
    expect(stalledReason({ ...base, downloadRate: 5000 })).toBeNull()
    expect(stalledReason({ ...base, status: 'paused' })).toBeNull()
    expect(stalledReason({ ...base, status: 'seeding' })).toBeNull()
  })
  it('says why: no peers, failing trackers, no tracker at all, peers that send nothing, no metadata', () => {
    expect(stalledReason(base)).toBe('No peers found yet.')
    expect(stalledReason({ ...base, trackers: [tracker('error')] })).toMatch(/every tracker is failing/)
    expect(stalledReason({ ...base, status: 'fetching-metadata', trackers: [] })).toMatch(
      /names no tracker and no peer/,
    )
    expect(stalledReason({ ...base, known: 3 })).toBe('No peer answers (3 known).')
    expect(stalledReason({ ...base, connecting: 2 })).toMatch(/connecting/)
    expect(stalledReason({ ...base, connected: 1 })).toMatch(/not sending anything/)
    expect(stalledReason({ ...base, status: 'fetching-metadata', connected: 1 })).toMatch(/metadata/)
  })
})
