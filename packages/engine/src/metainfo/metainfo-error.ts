export type MetainfoErrorCode =
  | 'too-large' // input over the size cap
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
