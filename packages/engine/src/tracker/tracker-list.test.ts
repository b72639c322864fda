import { describe, expect, it } from 'vitest'
import {
  addTrackersTo,
  checkTrackerUrl,
  editTrackerIn,
  removeTrackersFrom,
  sanitizeTiers,
  TrackerEditError,
} from './tracker-list.ts'

const A = 'http://a.example/announce'
const B = 'udp://b.example:6969'
const C = 'https://c.example/x/announce.php?pk=1'

function reason(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (e) {
    return e instanceof TrackerEditError ? e.reason : 'other'
  }
  return undefined
}

describe('tracker list edits', () => {
  it('checks URLs: trimmed, http(s)/udp with a host, no white space, bounded length', () => {
    expect(checkTrackerUrl(`  ${A}\n`)).toBe(A)
    expect(reason(() => checkTrackerUrl('wss://t.example/announce'))).toBe('bad-url')
    expect(reason(() => checkTrackerUrl('http://:80/announce'))).toBe('bad-url')
    expect(reason(() => checkTrackerUrl('http://a b/announce'))).toBe('bad-url')
    expect(reason(() => checkTrackerUrl(''))).toBe('bad-url')
    expect(reason(() => checkTrackerUrl(`http://a/${'x'.repeat(2100)}`))).toBe('bad-url')
  })

  it('adds each new tracker as its own last tier, or into a given tier; listed ones are skipped', () => {
    expect(addTrackersTo([[A]], [B, A, C, B])).toEqual({ tiers: [[A], [B], [C]], added: [B, C] })
    expect(addTrackersTo([[A], [B]], [C], 0)).toEqual({ tiers: [[A, C], [B]], added: [C] })
    // a tier number past the end becomes the next tier, not a gap
    expect(addTrackersTo([[A]], [B, C], 7).tiers).toEqual([[A], [B, C]])
    expect(addTrackersTo([[A]], [A]).added).toEqual([])
    expect(reason(() => addTrackersTo([[A]], ['ftp://x/announce']))).toBe('bad-url')
  })

  it('edits a URL in place, or moves a tracker to another tier; empty tiers close up', () => {
    expect(editTrackerIn([[A, B], [C]], B, { url: 'udp://d.example:1' })).toEqual([[A, 'udp://d.example:1'], [C]])
    expect(editTrackerIn([[A], [B], [C]], A, { tier: 1 })).toEqual([[B, A], [C]])
    expect(editTrackerIn([[A], [B]], B, { tier: 0, url: C })).toEqual([[A, C]])
    expect(editTrackerIn([[A], [B]], A, { tier: 9 })).toEqual([[B], [A]])
    expect(reason(() => editTrackerIn([[A], [B]], A, { url: B }))).toBe('duplicate')
    expect(reason(() => editTrackerIn([[A]], C, { tier: 0 }))).toBe('unknown-tracker')
    expect(reason(() => editTrackerIn([[A]], A, { url: 'nope' }))).toBe('bad-url')
  })

  it('removes trackers; an unknown one is an error and changes nothing', () => {
    expect(removeTrackersFrom([[A, B], [C]], [B, C])).toEqual([[A]])
    expect(removeTrackersFrom([[A]], [A])).toEqual([])
    expect(reason(() => removeTrackersFrom([[A]], [A, C]))).toBe('unknown-tracker')
  })

  it('reads a saved list back leniently: bad entries and duplicates are dropped', () => {
    expect(sanitizeTiers([[A, 7, 'junk', A], 'x', [], [B]])).toEqual([[A], [B]])
    expect(sanitizeTiers(undefined)).toBeNull()
    expect(sanitizeTiers([])).toEqual([])
  })
})
