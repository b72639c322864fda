import { describe, expect, it } from 'vitest'
import { TorrentBook } from './torrent-book.ts'

const A = 'a'.repeat(40)

describe('TorrentBook', () => {
  it('writes only the fields it has, notes merged trackers once each, and forgets everything', () => {
    const b = new TorrentBook()
    expect(b.entryFields(A)).toEqual({ paused: false })
    b.paused.set(A, true)
    b.magnets.set(A, `magnet:?xt=urn:btih:${A}`)
    b.noteExtraTrackers(A, ['http://t1/a', 'http://t2/a'])
    b.noteExtraTrackers(A, ['http://t2/a', 'http://t3/a'])
    b.noteExtraWebSeeds(A, [{ url: 'http://w/', kind: 'url-list' }])
    b.noteExtraWebSeeds(A, [])
    b.labels.set(A, 'music')
    b.trackerLists.set(A, [['http://t1/a'], ['http://t3/a']])
    expect(b.entryFields(A)).toEqual({
      paused: true,
      magnet: `magnet:?xt=urn:btih:${A}`,
      extraTrackers: ['http://t1/a', 'http://t2/a', 'http://t3/a'],
      extraWebSeeds: [{ url: 'http://w/', kind: 'url-list' }],
      label: 'music',
      trackers: [['http://t1/a'], ['http://t3/a']],
    })
    b.forget(A)
    expect(b.entryFields(A)).toEqual({ paused: false })
  })
})
