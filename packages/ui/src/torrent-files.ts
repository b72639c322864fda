/**
 * Reads the name and file list of a .torrent in the page, so the user can choose files before
 * adding. A small bounded bencode reader: the engine does the real parsing and validation.
 */

type BValue = number | Uint8Array | BValue[] | { [k: string]: BValue }

const MAX_DEPTH = 64
const dec = new TextDecoder()

function decode(buf: Uint8Array): BValue {
  let pos = 0
  const fail = (why: string): never => {
    throw new Error(`not a torrent file: ${why} at byte ${pos}`)
  }
  const readInt = (end: number): number => {
    const i = buf.indexOf(end, pos)
    if (i < 0) fail('unterminated number')
    const s = dec.decode(buf.subarray(pos, i))
    if (!/^-?\d+$/.test(s)) fail('bad number')
    pos = i + 1
    return Number(s)
  }
  const value = (depth: number): BValue => {
    if (depth > MAX_DEPTH) fail('nested too deep')
    const c = buf[pos]
    if (c === undefined) return fail('truncated')
    if (c === 0x69) {
      pos++
      return readInt(0x65)
    }
    if (c === 0x6c) {
      pos++
      const list: BValue[] = []
      while (buf[pos] !== 0x65) {
        if (pos >= buf.length) fail('truncated list')
        list.push(value(depth + 1))
      }
      pos++
      return list
    }
    if (c === 0x64) {
      pos++
      const dict: Record<string, BValue> = {}
      while (buf[pos] !== 0x65) {
        if (pos >= buf.length) fail('truncated dict')
        const k = value(depth + 1)
        if (!(k instanceof Uint8Array)) fail('dict key not a string')
        dict[dec.decode(k as Uint8Array)] = value(depth + 1)
      }
      pos++
      return dict
    }
    if (c >= 0x30 && c <= 0x39) {
      const len = readInt(0x3a)
      if (pos + len > buf.length) fail('string past end')
      const s = buf.subarray(pos, pos + len)
      pos += len
      return s
    }
    return fail('unexpected byte')
  }
  return value(0)
}

export interface TorrentFileInfo {
  name: string
  files: Array<{ index: number; path: string; size: number }>
  totalSize: number
}

const str = (v: BValue | undefined): string => (v instanceof Uint8Array ? dec.decode(v) : '')
const isDict = (v: BValue | undefined): v is { [k: string]: BValue } =>
  typeof v === 'object' && v !== null && !(v instanceof Uint8Array) && !Array.isArray(v)

export function readTorrentFiles(bytes: Uint8Array): TorrentFileInfo {
  const root = decode(bytes)
  if (!isDict(root) || !isDict(root.info)) throw new Error('not a torrent file: no info dictionary')
  const info = root.info
  const name = str(info['name.utf-8'] ?? info.name) || 'unnamed'
  const files: TorrentFileInfo['files'] = []
  if (Array.isArray(info.files)) {
    info.files.forEach((f, index) => {
      if (!isDict(f)) return
      const parts = (Array.isArray(f['path.utf-8']) ? f['path.utf-8'] : Array.isArray(f.path) ? f.path : []) as BValue[]
      files.push({
        index,
        path: [name, ...parts.map(str)].join('/'),
        size: typeof f.length === 'number' ? f.length : 0,
      })
    })
  } else {
    files.push({ index: 0, path: name, size: typeof info.length === 'number' ? info.length : 0 })
  }
  return { name, files, totalSize: files.reduce((a, f) => a + f.size, 0) }
}

/** Accepts magnet: URIs and bare 40-hex / 32-base32 info-hashes (turned into magnets). */
export function normaliseMagnet(text: string): string | null {
  const t = text.trim()
  if (/^magnet:\?/i.test(t) && /xt=urn:bt(ih|mh):/i.test(t)) return t
  if (/^[0-9a-f]{40}$/i.test(t) || /^[a-z2-7]{32}$/i.test(t)) return `magnet:?xt=urn:btih:${t}`
  return null
}
