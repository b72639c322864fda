/**
 * Throughput figure for the wire decoder: 1 GiB of 16 KiB piece messages, delivered in 256 KiB
 * chunks (the daemon's DATA frame size) that split messages at arbitrary points, decoded with
 * blocks handed out as views. Prints MiB/s; asserts nothing about time.
 * Run: npx tsx packages/engine/src/wire/codec-throughput.ts [MiB=1024] [chunkKiB=256]
 */
import { encodePiece } from './wire-codec.ts'
import { WireDecoder } from './wire-decoder.ts'

// The engine is platform-neutral (no Node types); read argv only if a runtime provides it.
const argv = (globalThis as { process?: { argv?: string[] } }).process?.argv ?? []
const totalMiB = Number(argv[2] ?? 1024)
const chunkBytes = Number(argv[3] ?? 256) * 1024
const block = new Uint8Array(16384).map((_, i) => i & 0xff)

// One stream of 64 messages (a bit over 1 MiB) cut into chunks, reused: encoding is not measured.
const per = 64
const stream = new Uint8Array(per * (13 + 16384))
for (let i = 0; i < per; i++) stream.set(encodePiece(i, 0, block), i * (13 + 16384))
const chunks: Uint8Array[] = []
for (let o = 0; o < stream.length; o += chunkBytes)
  chunks.push(stream.subarray(o, Math.min(stream.length, o + chunkBytes)))

function run(mib: number): { ms: number; messages: number; payload: number } {
  const d = new WireDecoder({ pieceCount: 1 << 20 })
  const rounds = Math.ceil((mib * 1024 * 1024) / (per * 16384))
  let messages = 0
  let payload = 0
  const t0 = performance.now()
  for (let r = 0; r < rounds; r++) {
    for (const c of chunks) {
      d.push(c)
      for (;;) {
        const m = d.next()
        if (m.type === 'piece') {
          messages++
          payload += m.block.length
        } else if (m.type === 'need-more') break
        else throw new Error(`unexpected ${m.type}`)
      }
    }
  }
  return { ms: performance.now() - t0, messages, payload }
}

run(64) // warm-up
const r = run(totalMiB)
const mibs = r.payload / 1024 / 1024 / (r.ms / 1000)
console.log(
  `decoder: ${r.messages} piece messages, ${(r.payload / 2 ** 30).toFixed(2)} GiB payload in ${r.ms.toFixed(0)} ms ` +
    `= ${mibs.toFixed(0)} MiB/s, ${((r.messages / r.ms) * 1000).toFixed(0)} msg/s (chunks of ${chunkBytes / 1024} KiB)`,
)
