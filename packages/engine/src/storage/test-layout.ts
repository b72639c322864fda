/** Test helper: a layout plus its content, with real piece hashes. Not exported from the package. */
import { sha1 } from '../util/sha1.ts'
import type { StorageLayout } from './file-map.ts'

export interface TestTorrent {
  layout: StorageLayout
  data: Uint8Array
  /** The content of file `i`. */
  fileData(i: number): Uint8Array
  /** The content of piece `p`. */
  piece(p: number): Uint8Array
}

/** files: [path, length, padding?]; content is a deterministic byte pattern (padding is zeros). */
export async function makeTorrent(
  files: Array<[string, number, boolean?]>,
  pieceLength: number,
  seed = 1,
): Promise<TestTorrent> {
  let offset = 0
  const list = files.map(([path, length, padding]) => {
    const f = { path, length, offset, ...(padding ? { padding: true } : {}) }
    offset += length
    return f
  })
  // word-sized pseudo-random fill (fast), then padding zeroed
  const words = new Uint32Array(Math.ceil(offset / 4))
  let x = seed >>> 0 || 1
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    words[i] = x >>> 0
  }
  const data = new Uint8Array(words.buffer, 0, offset)
  for (const f of list) if (f.padding) data.fill(0, f.offset, f.offset + f.length)
  const pieceCount = Math.ceil(offset / pieceLength)
  const pieceHashes = new Uint8Array(pieceCount * 20)
  for (let p = 0; p < pieceCount; p++) {
    pieceHashes.set(await sha1(data.subarray(p * pieceLength, Math.min(offset, (p + 1) * pieceLength))), p * 20)
  }
  const layout: StorageLayout = { files: list, pieceLength, pieceCount, length: offset, pieceHashes }
  return {
    layout,
    data,
    fileData: (i) => data.slice(list[i]!.offset, list[i]!.offset + list[i]!.length),
    piece: (p) => data.slice(p * pieceLength, Math.min(offset, (p + 1) * pieceLength)),
  }
}
