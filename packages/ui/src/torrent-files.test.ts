import { describe, expect, it } from 'vitest'
import { normaliseMagnet, readTorrentFiles } from './torrent-files.ts'

const enc = (s: string) => new TextEncoder().encode(s)

describe('readTorrentFiles', () => {
  it('lists the files of a multi-file torrent (UTF-8 names)', () => {
    const t = enc(
      'd8:announce9:http://x/4:infod5:filesld6:lengthi5e4:pathl3:sub5:a.txteed6:lengthi7e4:pathl10:ßüñ.bineee4:name4:root12:piece lengthi16384e6:pieces0:ee',
    )
    const r = readTorrentFiles(t)
    expect(r.name).toBe('root')
    expect(r.files).toEqual([
      { index: 0, path: 'root/sub/a.txt', size: 5 },
      { index: 1, path: 'root/ßüñ.bin', size: 7 },
    ])
    expect(r.totalSize).toBe(12)
  })
  it('reads a single-file torrent', () => {
    const r = readTorrentFiles(enc('d4:infod6:lengthi42e4:name5:x.isoee'))
    expect(r.files).toEqual([{ index: 0, path: 'x.iso', size: 42 }])
  })
  it('rejects junk and truncation with a clear error', () => {
    expect(() => readTorrentFiles(enc('hello'))).toThrow(/not a torrent/)
    expect(() => readTorrentFiles(enc('d4:infod6:lengthi42e'))).toThrow(/not a torrent/)
    expect(() => readTorrentFiles(enc('d3:fooi1ee'))).toThrow(/no info/)
    expect(() => readTorrentFiles(enc('l'.repeat(100) + 'e'.repeat(100)))).toThrow(/deep/)
  })
})

describe('normaliseMagnet', () => {
  it('accepts magnets and bare hashes, refuses the rest', () => {
    expect(normaliseMagnet(' magnet:?xt=urn:btih:abc&dn=x ')).toBe('magnet:?xt=urn:btih:abc&dn=x')
    expect(normaliseMagnet('a'.repeat(40))).toBe(`magnet:?xt=urn:btih:${'a'.repeat(40)}`)
    expect(normaliseMagnet('https://example.com/x.torrent')).toBeNull()
  })
})
