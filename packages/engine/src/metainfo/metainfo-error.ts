import type { BencodeError } from '../util/bencode.ts'

export type MetainfoErrorCode =
  | 'too-large' // over a cap of metainfo-limits.ts (file size, values, files, path length)
  | 'bencode' // not valid bencode
  | 'missing-key' // a required key is absent
  | 'bad-type' // a key has the wrong type
  | 'bad-value' // a value is out of range or inconsistent
  | 'bad-pieces' // 'pieces' not a multiple of 20 or count does not match the size
  | 'bad-path' // a file path is unusable even after sanitizing
  | 'duplicate-path' // two files map to the same path after sanitizing
  | 'v2-only' // a pure BitTorrent v2 torrent (no v1 'pieces')

export class MetainfoError extends Error {
  readonly code: MetainfoErrorCode
  constructor(code: MetainfoErrorCode, message: string) {
    super(message)
    this.code = code
    this.name = 'MetainfoError'
  }
}

/** Bencode that is over a size cap is 'too-large'; otherwise it is not bencode at all. */
export function metainfoErrorFromBencode(e: BencodeError, what: string): MetainfoError {
  const tooLarge = e.code === 'too-many-elements' || e.code === 'too-deep'
  return new MetainfoError(tooLarge ? 'too-large' : 'bencode', `${what}: ${e.message}`)
}
