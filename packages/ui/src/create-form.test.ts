import { describe, expect, it } from 'vitest'
import {
  joinPath,
  parentPath,
  parseLines,
  parseTrackerTiers,
  PIECE_SIZES,
  seedableInPlace,
  torrentFileName,
} from './create-form.ts'

describe('create form', () => {
  it('reads tracker tiers separated by blank lines, dropping repeats', () => {
    expect(
      parseTrackerTiers('http://a/announce\n http://b/announce \n\n\n udp://c:80\r\nhttp://a/announce\n\nhttp://d/x\n'),
    ).toEqual([['http://a/announce', 'http://b/announce'], ['udp://c:80'], ['http://d/x']])
    expect(parseTrackerTiers('\n\n')).toEqual([])
  })

  it('reads web seeds one per line', () => {
    expect(parseLines(' http://w/ \n\nhttps://v/\nhttp://w/')).toEqual(['http://w/', 'https://v/'])
  })

  it('offers the power-of-two piece sizes from 16 KiB to 16 MiB', () => {
    expect(PIECE_SIZES[0]).toBe(16 * 1024)
    expect(PIECE_SIZES.at(-1)).toBe(16 * 1024 * 1024)
    expect(PIECE_SIZES).toHaveLength(11)
  })

  it('walks paths and says what can be seeded in place', () => {
    expect(joinPath('', 'a')).toBe('a')
    expect(joinPath('a/b', 'c')).toBe('a/b/c')
    expect(parentPath('a/b/c')).toBe('a/b')
    expect(parentPath('a')).toBe('')
    expect(seedableInPlace('album')).toBe(true)
    expect(seedableInPlace('music/album')).toBe(true) // seeded from its folder (saveDir music)
    expect(seedableInPlace('')).toBe(false)
    expect(torrentFileName('a/b: c?')).toBe('a_b_ c_.torrent')
  })
})
