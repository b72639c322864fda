import { describe, expect, it } from 'vitest'
import type { TrackerRow } from '@tidepool/engine'
import { noTrackerText } from './trackers-tab.tsx'

const row = (url: string, tier: number, status: TrackerRow['status'], message?: string): TrackerRow => ({
  url,
  tier,
  status,
  lastAnnounce: null,
  nextAnnounce: null,
  peersReceived: 0,
  seeders: null,
  leechers: null,
  ...(message ? { message } : {}),
})

describe('the Trackers tab without trackers says where peers come from', () => {
  it('names the sources that are on', () => {
    expect(noTrackerText([row('DHT', -1, 'working'), row('PeX', -1, 'working'), row('LSD', -1, 'disabled')])).toBe(
      'No trackers: peers come only from DHT, PeX.',
    )
  })
  it('says a private torrent uses none of them', () => {
    const priv = ['DHT', 'PeX', 'LSD'].map((u) => row(u, -1, 'disabled', 'private torrent'))
    expect(noTrackerText(priv)).toMatch(/private: it uses no DHT, PeX or LSD/)
  })
  it('says nothing when a tracker is listed', () => {
    expect(noTrackerText([row('http://t/announce', 0, 'working'), row('DHT', -1, 'disabled')])).toBeNull()
  })
})
