import type { TorrentStatus, TorrentSummary } from '@tidepool/engine'
import { describe, expect, it } from 'vitest'
import { TorrentNotices } from './torrent-notices.ts'

const t = (infoHash: string, status: TorrentStatus, extra: Partial<TorrentSummary> = {}) =>
  ({ infoHash, name: `name-${infoHash}`, status, ...extra }) as TorrentSummary
const ALL = { notifyOnComplete: true, notifyOnError: true }

describe('torrent notices', () => {
  it('a finished download and a new error each give one notice; the first list gives none', () => {
    const n = new TorrentNotices()
    // restored torrents, already seeding or failed: nothing to say
    expect(n.update([t('a', 'downloading'), t('b', 'seeding'), t('c', 'error')], ALL)).toEqual([])
    expect(n.update([t('a', 'seeding'), t('b', 'seeding'), t('c', 'error')], ALL)).toEqual([
      { kind: 'completed', infoHash: 'a', title: 'Download finished', body: 'name-a' },
    ])
    expect(n.update([t('a', 'seeding'), t('b', 'error', { error: 'ENOSPC: no space left' })], ALL)).toEqual([
      {
        kind: 'error',
        infoHash: 'b',
        title: 'Tidepool: name-b',
        body: 'The disk is full. Free some space, then start the torrent again.',
      },
    ])
    // a seed paused and resumed, or a recheck, is not a finished download
    expect(n.update([t('a', 'paused')], ALL)).toEqual([])
    expect(n.update([t('a', 'seeding')], ALL)).toEqual([])
    // a torrent added later that fails before the next look is heard; one added complete is no download
    expect(n.update([], ALL)).toEqual([])
    expect(n.update([t('a', 'error'), t('d', 'seeding')], ALL).map((x) => `${x.kind} ${x.infoHash}`)).toEqual([
      'error a',
    ])
  })

  it('each kind can be turned off', () => {
    const n = new TorrentNotices()
    n.update([t('a', 'downloading'), t('b', 'downloading')], ALL)
    expect(
      n
        .update([t('a', 'seeding'), t('b', 'error')], { notifyOnComplete: false, notifyOnError: true })
        .map((x) => x.kind),
    ).toEqual(['error'])
    n.update([t('a', 'downloading'), t('b', 'downloading')], ALL)
    expect(
      n
        .update([t('a', 'seeding'), t('b', 'error')], { notifyOnComplete: true, notifyOnError: false })
        .map((x) => x.kind),
    ).toEqual(['completed'])
  })
})
