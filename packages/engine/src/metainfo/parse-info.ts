import {
  BencodeError,
  decodeBencode,
  getBytes,
  getField,
  getInt,
  isDict,
  type BDict,
  type BValue,
} from '../util/bencode.ts'
import { utf8Decode } from '../util/bytes.ts'
import { toHex } from '../util/hex.ts'
import { sha1 } from '../util/sha1.ts'
import { MetainfoError, metainfoErrorFromBencode } from './metainfo-error.ts'
import { DEFAULT_METAINFO_LIMITS, torrentDecodeLimits, type MetainfoLimits } from './metainfo-limits.ts'
import { sanitizeComponent, sanitizePath } from './sanitize-path.ts'

export interface MetainfoFile {
  /** '/'-joined sanitized path; for multi-file torrents it starts with the torrent's name. */
  path: string
  pathComponents: string[]
  length: number
  /** Byte offset of the file in the torrent's concatenated data. */
  offset: number
  /** BEP 47 padding file: never written to disk, its bytes are zeros. */
  padding?: boolean
  /**
   * The path as the torrent writes it (name first), only where sanitizing changed it: web seeds
   * (BEP 19) must ask servers for the original names.
   */
  urlPath?: string[]
}

/** What the `info` dictionary alone defines (all a magnet download learns from peers). */
export interface InfoDictionary {
  infoHash: string // 40 hex, lower case
  infoHashBytes: Uint8Array
  infoBytes: Uint8Array
  name: string
  pieceLength: number
  pieceCount: number
  pieceHashes: Uint8Array // 20 * pieceCount
  length: number // total, padding included
  files: MetainfoFile[]
  private: boolean
}

const MAX_PIECE_LENGTH = 512 * 1024 * 1024

function fail(code: MetainfoError['code'], msg: string): never {
  throw new MetainfoError(code, msg)
}

/** A UTF-8 text field, preferring the `<key>.utf-8` variant some clients add. */
function textOf(d: BDict, key: string): string | undefined {
  const b = getBytes(d, `${key}.utf-8`) ?? getBytes(d, key)
  return b ? utf8Decode(b) : undefined
}

function requireLength(v: BValue | undefined, what: string): number {
  if (v === undefined) fail('missing-key', `${what}: missing 'length'`)
  if (typeof v !== 'number') fail('bad-type', `${what}: 'length' is not an integer`)
  if (!Number.isSafeInteger(v) || v < 0) fail('bad-value', `${what}: length ${v} is negative or too large`)
  return v
}

function pathListOf(f: BDict, index: number, limits: MetainfoLimits): string[] {
  const raw = getField(f, 'path.utf-8') !== undefined ? getField(f, 'path.utf-8') : getField(f, 'path')
  if (raw === undefined) fail('missing-key', `file ${index}: missing 'path'`)
  if (!Array.isArray(raw) || raw.length === 0) fail('bad-type', `file ${index}: 'path' is not a non-empty list`)
  if (raw.length > limits.maxPathComponents)
    fail('too-large', `file ${index}: path has ${raw.length} components (cap ${limits.maxPathComponents})`)
  let bytes = 0
  for (const c of raw) {
    if (!(c instanceof Uint8Array)) fail('bad-type', `file ${index}: a path component is not a string`)
    bytes += c.length
  }
  if (bytes > limits.maxPathBytes)
    fail('too-large', `file ${index}: path is ${bytes} bytes (cap ${limits.maxPathBytes})`)
  return raw.map((c) => utf8Decode(c as Uint8Array))
}

function checkDuplicates(files: MetainfoFile[]): void {
  // Exact comparison (as libtorrent does); Unicode normalization is too slow for 100k-file torrents.
  const filePaths = new Set<string>()
  const dirs = new Set<string>()
  for (const f of files) {
    if (f.padding) continue // BEP 47 pad files share names like '.pad/16384' and are never written
    if (filePaths.has(f.path) || dirs.has(f.path)) fail('duplicate-path', `two entries map to '${f.path}'`)
    filePaths.add(f.path)
    let dir = ''
    for (let i = 0; i < f.pathComponents.length - 1; i++) {
      dir = i === 0 ? f.pathComponents[0] : `${dir}/${f.pathComponents[i]}`
      if (filePaths.has(dir)) fail('duplicate-path', `'${dir}' is both a file and a directory`)
      dirs.add(dir)
    }
  }
}

/** Parses a decoded info dictionary whose exact bytes are `infoBytes`. */
export async function parseInfoValue(
  info: BValue,
  infoBytes: Uint8Array,
  limits: MetainfoLimits = DEFAULT_METAINFO_LIMITS,
): Promise<InfoDictionary> {
  if (!isDict(info)) fail('bad-type', "'info' is not a dictionary")
  const infoHashBytes = await sha1(infoBytes)
  const infoHash = toHex(infoHashBytes)

  const pieces = getField(info, 'pieces')
  if (pieces === undefined) {
    if (getInt(info, 'meta version') === 2)
      fail('v2-only', 'BitTorrent v2-only torrent: no v1 piece hashes (not supported)')
    fail('missing-key', "info: missing 'pieces'")
  }
  if (!(pieces instanceof Uint8Array)) fail('bad-type', "info: 'pieces' is not a string")
  if (pieces.length % 20 !== 0) fail('bad-pieces', `'pieces' is ${pieces.length} bytes, not a multiple of 20`)

  const pl = getField(info, 'piece length')
  if (pl === undefined) fail('missing-key', "info: missing 'piece length'")
  if (typeof pl !== 'number') fail('bad-type', "info: 'piece length' is not an integer")
  if (!Number.isSafeInteger(pl) || pl <= 0 || pl > MAX_PIECE_LENGTH)
    fail('bad-value', `piece length ${pl} out of range`)

  const rawName = textOf(info, 'name')
  if (rawName === undefined)
    fail(getField(info, 'name') === undefined ? 'missing-key' : 'bad-type', "info: missing or mistyped 'name'")
  // A name that sanitizes to nothing ('..', '') still needs a folder: fall back to the info-hash.
  const name = sanitizeComponent(rawName) || infoHash

  const files: MetainfoFile[] = []
  let total = 0
  const hasLength = getField(info, 'length') !== undefined
  const rawFiles = getField(info, 'files')
  if (rawFiles !== undefined && hasLength) fail('bad-value', "info has both 'length' and 'files'")
  if (rawFiles === undefined) {
    if (!hasLength) fail('missing-key', "info: missing 'length' or 'files'")
    total = requireLength(getField(info, 'length'), 'info')
    files.push({ path: name, pathComponents: [name], length: total, offset: 0 })
    if (rawName !== name) files[0]!.urlPath = [rawName]
  } else {
    if (!Array.isArray(rawFiles)) fail('bad-type', "info: 'files' is not a list")
    if (rawFiles.length === 0) fail('bad-value', "info: 'files' is empty")
    if (rawFiles.length > limits.maxFiles) fail('too-large', `${rawFiles.length} files (cap ${limits.maxFiles})`)
    rawFiles.forEach((f, i) => {
      if (!isDict(f)) fail('bad-type', `file ${i} is not a dictionary`)
      const length = requireLength(getField(f, 'length'), `file ${i}`)
      const attr = getBytes(f, 'attr')
      const padding = attr !== undefined && utf8Decode(attr).includes('p')
      const raw = pathListOf(f, i, limits)
      const comps = sanitizePath(raw)
      if (comps.length === 0) {
        if (!padding) fail('bad-path', `file ${i}: path is empty after sanitizing`)
        comps.push('.pad')
      }
      const pathComponents = [name, ...comps]
      const entry: MetainfoFile = { path: pathComponents.join('/'), pathComponents, length, offset: total }
      if (padding) entry.padding = true
      if (rawName !== name || raw.length !== comps.length || raw.some((c, j) => c !== comps[j]))
        entry.urlPath = [rawName, ...raw]
      files.push(entry)
      total += length
      if (!Number.isSafeInteger(total)) fail('bad-value', 'total size too large')
    })
    checkDuplicates(files)
  }

  const pieceCount = pieces.length / 20
  const expected = Math.ceil(total / pl)
  if (pieceCount !== expected)
    fail('bad-pieces', `${pieceCount} piece hashes for ${total} bytes at ${pl} per piece (expected ${expected})`)
  if (total === 0) fail('bad-value', 'torrent has no data')

  return {
    infoHash,
    infoHashBytes,
    infoBytes,
    name,
    pieceLength: pl,
    pieceCount,
    // A copy: decoded strings are views into the decoder's copy of the whole input, which the torrent
    // should not keep alive for its lifetime (a .torrent may be mostly other keys).
    pieceHashes: pieces.slice(),
    length: total,
    files,
    private: getInt(info, 'private') === 1,
  }
}

/** Parses a bare info dictionary (metadata fetched from peers for a magnet link). */
export async function parseInfoDictionary(
  infoBytes: Uint8Array,
  limits: MetainfoLimits = DEFAULT_METAINFO_LIMITS,
): Promise<InfoDictionary> {
  let value: BValue
  try {
    value = decodeBencode(infoBytes, torrentDecodeLimits(limits))
  } catch (e) {
    if (e instanceof BencodeError) throw metainfoErrorFromBencode(e, 'info dictionary')
    throw e
  }
  return parseInfoValue(value, infoBytes, limits)
}

/** Byte length of piece `index` (the last one may be short). */
export function pieceSize(info: Pick<InfoDictionary, 'length' | 'pieceLength' | 'pieceCount'>, index: number): number {
  if (index < 0 || index >= info.pieceCount) throw new RangeError(`piece ${index} out of range`)
  return index === info.pieceCount - 1 ? info.length - info.pieceLength * index : info.pieceLength
}

/** The 20-byte SHA-1 of piece `index` (a view, not a copy). */
export function pieceHash(info: Pick<InfoDictionary, 'pieceHashes'>, index: number): Uint8Array {
  return info.pieceHashes.subarray(index * 20, index * 20 + 20)
}
