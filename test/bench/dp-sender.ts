/**
 * The peer of bench:bridge --data-plane (a child process): serves `BENCH_DP_MIB` MiB of 1 MiB pieces
 * as 16 KiB `piece` messages after a 68-byte handshake, one whole piece per 17-byte request it
 * receives, in order. argv[2] "rc4": the stream is RC4-encrypted (built before it listens, so the
 * benchmark measures only the receiving side). Prints its port.
 */
import net from 'node:net'
import { Rc4 } from '@tidepool/engine/mse'
import { benchPiece, DP_BENCH_KEY, DP_PIECE } from './dp-bench-data.ts'

const pieces = Number(process.env.BENCH_DP_MIB ?? 256)
const BLOCK = 16 * 1024
const perPiece = (DP_PIECE / BLOCK) * (13 + BLOCK)
const stream = Buffer.alloc(68 + pieces * perPiece)
stream.fill(1, 0, 68)
let at = 68
for (let p = 0; p < pieces; p++) {
  const data = benchPiece(p)
  for (let b = 0; b < DP_PIECE; b += BLOCK) {
    stream.writeUInt32BE(9 + BLOCK, at)
    stream[at + 4] = 7
    stream.writeUInt32BE(p, at + 5)
    stream.writeUInt32BE(b, at + 9)
    stream.set(data.subarray(b, b + BLOCK), at + 13)
    at += 13 + BLOCK
  }
}
const encrypted = process.argv[2] === 'rc4'
if (encrypted) new Rc4(DP_BENCH_KEY).process(stream)

net
  .createServer((s) => {
    s.on('error', () => {})
    s.write(stream.subarray(0, 68))
    let received = 0
    let sent = 0
    s.on('data', (b) => {
      received += b.length
      // Every 17 bytes is one request: send the next piece (requests come in order).
      while (sent < Math.floor(received / 17) && sent < pieces) {
        s.write(stream.subarray(68 + sent * perPiece, 68 + (sent + 1) * perPiece))
        sent++
      }
      if (sent === pieces) s.end()
    })
  })
  .listen(0, '127.0.0.1', function (this: net.Server) {
    console.log((this.address() as net.AddressInfo).port)
  })
