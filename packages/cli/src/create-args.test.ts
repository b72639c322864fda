import { describe, expect, it } from 'vitest'
import { parseArgs, UsageError } from './args.ts'

describe('parseArgs create', () => {
  it('parses every option; each --tracker is a tier, commas share one', () => {
    expect(
      parseArgs([
        'create',
        'some dir',
        '-o',
        'x.torrent',
        '--tracker',
        'http://a/announce,http://b/announce',
        '--tracker=udp://c:80',
        '--piece-size',
        '256K',
        '--private',
        '--web-seed',
        'http://w/',
        '--web-seed',
        'https://v/',
        '--comment',
        'hi there',
        '--no-date',
        '--json',
      ]),
    ).toEqual({
      command: 'create',
      path: 'some dir',
      output: 'x.torrent',
      trackers: [['http://a/announce', 'http://b/announce'], ['udp://c:80']],
      pieceLength: 256 * 1024,
      private: true,
      webSeeds: ['http://w/', 'https://v/'],
      comment: 'hi there',
      noDate: true,
      json: true,
    })
  })

  it('defaults: automatic piece size, no trackers, a creation date', () => {
    expect(parseArgs(['create', 'f.bin', '--output=f.torrent'])).toMatchObject({
      pieceLength: null,
      trackers: [],
      webSeeds: [],
      private: false,
      noDate: false,
      comment: null,
    })
  })

  it('refuses what it cannot honour', () => {
    expect(() => parseArgs(['create', 'f.bin'])).toThrow(/-o FILE/)
    expect(() => parseArgs(['create', '-o', 'x'])).toThrow(/exactly one/)
    expect(() => parseArgs(['create', 'a', 'b', '-o', 'x'])).toThrow(/exactly one/)
    expect(() => parseArgs(['create', 'a', '-o', 'x', '--piece-size', '100K'])).toThrow(/power of two/)
    expect(() => parseArgs(['create', 'a', '-o', 'x', '--piece-size', '32M'])).toThrow(UsageError)
    expect(() => parseArgs(['create', 'a', '-o', 'x', '--seed'])).toThrow(/unknown option --seed/)
    expect(() => parseArgs(['create', 'a', '-o'])).toThrow(/needs a value/)
  })
})
