/**
 * Throughput figure for the whole wire path: a seed PeerConnection serves a leech over MemoryNetwork
 * (no sockets, one thread does both sides), requests sized by the connection's own pipelining.
 * Measures the per-byte and per-message cost of encoding, coalescing, decoding and bookkeeping.
 * Run: npx tsx packages/engine/src/wire/pair-throughput.ts [MiB=512]
 */
import { MemoryNetwork } from '../platform/memory-net.ts'
import { Bitfield } from './bitfield.ts'
import { describeCloseReason } from './close-reason.ts'
import { PeerConnection } from './peer-connection.ts'
import { generatePeerId } from './peer-id.ts'

const argv = (globalThis as { process?: { argv?: string[] } }).process?.argv ?? []
const totalMiB = Number(argv[2] ?? 512)
const pieceLength = 1 << 20
const shape = { pieceCount: totalMiB, pieceLength, totalLength: totalMiB * pieceLength }
const infoHash = new Uint8Array(20).fill(7)
const block = new Uint8Array(16384).fill(0x5a)

async function main(): Promise<void> {
  const net = new MemoryNetwork()
  let seed: PeerConnection | undefined
  await net.host('10.0.0.1').listen({ port: 6881 }, (socket) => {
    seed = new PeerConnection(socket, {
      direction: 'incoming',
      peerId: generatePeerId(),
      acceptIncoming: (_hs, c) => {
        c.setTorrent(shape)
        c.setLocalPieces(Bitfield.full(shape.pieceCount))
        c.setHandlers({
          onInterested: () => seed!.unchoke(),
          // A real torrent answers after a disk read; a microtask keeps the call stack flat likewise.
          onUploadRequest: (r) => queueMicrotask(() => seed!.sendPiece(r.index, r.begin, block.subarray(0, r.length))),
        })
        return true
      },
    })
  })
  const socket = await net.host('10.0.0.2').connect({ host: '10.0.0.1', port: 6881 })
  let next = 0 // next block number to request
  const totalBlocks = shape.totalLength / 16384
  let received = 0
  let t0 = 0
  let resolve!: () => void
  const done = new Promise<void>((r) => (resolve = r))
  const fill = () => {
    for (let n = leech.wantedRequests(); n > 0 && next < totalBlocks; n--, next++) {
      leech.request(next >> 6, (next & 63) * 16384, 16384)
    }
  }
  const leech: PeerConnection = new PeerConnection(socket, {
    direction: 'outgoing',
    infoHash,
    peerId: generatePeerId(),
    torrent: shape,
    localPieces: new Bitfield(shape.pieceCount),
    handlers: {
      onHandshake: () => {
        t0 = performance.now()
        leech.interested()
      },
      onUnchoke: fill,
      onReady: fill,
      onBlock: (_i, _b, data) => {
        received += data.length
        if (received === shape.totalLength) resolve()
      },
      onClose: (reason) => {
        if (reason.kind !== 'done')
          console.error(
            `leech closed: ${describeCloseReason(reason)}; seed: ${seed?.closeReason ? describeCloseReason(seed.closeReason) : 'open'}`,
          )
        resolve()
      },
    },
  })
  const guard = setTimeout(() => resolve(), 120_000)
  await done
  clearTimeout(guard)
  const ms = performance.now() - t0
  const s = leech.stats()
  console.log(
    `pair: ${(received / 2 ** 20).toFixed(0)} MiB in ${ms.toFixed(0)} ms = ${(received / 2 ** 20 / (ms / 1000)).toFixed(0)} MiB/s; ` +
      `depth ${s.requestDepth}, protocol bytes down ${(s.protocolDown / 1024).toFixed(0)} KiB, srtt ${s.rttMs?.toFixed(2)} ms`,
  )
  leech.close({ kind: 'done' })
  seed?.close({ kind: 'done' })
}

void main()
