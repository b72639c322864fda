import { describe, expect, it } from 'vitest'
import { isTorrentDownload, takeOver, type TakeOverPort } from './torrent-downloads.ts'

describe('taking over .torrent downloads', () => {
  it('recognises a .torrent by type or name, only over http(s)', () => {
    expect(isTorrentDownload({ url: 'https://x.example/get?id=1', mime: 'application/x-bittorrent' })).toBe(true)
    expect(isTorrentDownload({ url: 'https://x.example/a/file.TORRENT' })).toBe(true)
    expect(isTorrentDownload({ url: 'https://x.example/dl', filename: '/home/u/Downloads/x.torrent' })).toBe(true)
    expect(isTorrentDownload({ url: 'https://x.example/file.torrent.zip' })).toBe(false)
    expect(isTorrentDownload({ url: 'blob:https://x.example/123', filename: 'a.torrent' })).toBe(false)
    expect(isTorrentDownload({ url: 'https://x.example/a.iso', finalUrl: 'https://cdn.example/a.torrent' })).toBe(true)
  })

  it('pauses, hands it over, and erases it when taken; resumes it when not', async () => {
    const calls: string[] = []
    const port = (taken: boolean): TakeOverPort => ({
      pause: async (id) => void calls.push(`pause ${id}`),
      resume: async (id) => void calls.push(`resume ${id}`),
      cancelAndErase: async (id) => void calls.push(`erase ${id}`),
      offer: async (url) => {
        calls.push(`offer ${url}`)
        return taken ? { taken, text: 'added' } : { taken }
      },
      notify: (t) => void calls.push(`notify ${t}`),
    })
    expect(await takeOver({ id: 1, url: 'https://x.example/a.torrent' }, port(true))).toBe(true)
    expect(calls.splice(0)).toEqual(['pause 1', 'offer https://x.example/a.torrent', 'erase 1', 'notify added'])
    expect(await takeOver({ id: 2, url: 'https://x.example/a.torrent' }, port(false))).toBe(false)
    expect(calls.splice(0)).toEqual(['pause 2', 'offer https://x.example/a.torrent', 'resume 2'])
    expect(await takeOver({ id: 3, url: 'https://x.example/a.iso' }, port(true))).toBe(false)
    expect(calls).toEqual([])
  })
})
