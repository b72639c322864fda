/**
 * Storage throughput over the in-memory FilePort: blocks in → SHA-1 → one write per piece, then a
 * full recheck. Measures the engine side only (no daemon round trips).
 * Run: npx tsx packages/engine/src/storage/storage-bench.ts [MiB=256] [pieceKiB=1024]
 */
import { MemoryFilePort } from '../platform/memory-files.ts'
import { BLOCK_SIZE } from './file-map.ts'
import { recheck } from './recheck.ts'
import { makeTorrent } from './test-layout.ts'
import { TorrentStorage } from './torrent-storage.ts'

declare const process: { argv: string[] } | undefined

const args = typeof process === 'undefined' ? [] : process.argv.slice(2)
const mib = Number(args[0] ?? 256)
const pieceLength = Number(args[1] ?? 1024) * 1024
const pieces = Math.ceil((mib * 1024 * 1024) / pieceLength)

const t = await makeTorrent([['big.bin', pieces * pieceLength]], pieceLength)
const fp = new MemoryFilePort()
const s = new TorrentStorage(fp, t.layout, { root: 'downloads' })
let t0 = performance.now()
let inflight: Promise<unknown>[] = []
let peakBuffered = 0
for (let p = 0; p < pieces; p++) {
  for (let b = 0; b < pieceLength / BLOCK_SIZE; b++) {
    const at = p * pieceLength + b * BLOCK_SIZE
    inflight.push(s.writeBlock(p, b * BLOCK_SIZE, t.data.subarray(at, at + BLOCK_SIZE)))
  }
  peakBuffered = Math.max(peakBuffered, s.bufferedBytes)
  if (inflight.length >= 512) {
    await Promise.all(inflight)
    inflight = []
  }
}
await Promise.all(inflight)
const writeMs = performance.now() - t0
const s2 = new TorrentStorage(fp, t.layout, { root: 'downloads' })
t0 = performance.now()
const r = await recheck(s2, { concurrency: 4 })
const checkMs = performance.now() - t0
console.log(
  `storage ${pieces} x ${pieceLength / 1024} KiB: write+verify ${(mib / (writeMs / 1000)).toFixed(0)} MiB/s ` +
    `(peak buffered ${(peakBuffered / 2 ** 20).toFixed(1)} MiB, ${fp.ops.write} writes), ` +
    `recheck ${(mib / (checkMs / 1000)).toFixed(0)} MiB/s (${r.verified}/${pieces} verified)`,
)
