// Our MSE/PE handshake (packages/engine/src/mse) against real libtorrent 2.0 that insists on encryption
// (in/out_enc_policy forced, allowed_enc_level RC4): as initiator dialling a libtorrent seed, and as
// receiver of a libtorrent seed dialling us. After the handshake a bare peer on the socket trades the
// BitTorrent handshake, interested/unchoke and one block through the RC4 cipher, so both directions of
// the stream are checked against real bytes. Not wired into the client yet: no CLI here.
import { readFile } from 'node:fs/promises'
import net from 'node:net'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { encodeHandshake, fromHex, parseHandshake, utf8Encode, wire } from '@tidepool/engine'
import {
  CRYPTO_PLAINTEXT,
  CRYPTO_RC4,
  MseInitiator,
  MseReceiver,
  createSkeyLookup,
  detectIncoming,
} from '@tidepool/engine/mse'
import { libtorrentAvailable, type LibtorrentPeer } from '../fixtures/libtorrent.ts'
import type { MadeTorrent } from '../fixtures/make-torrent.ts'
import { createSwarm, type Swarm } from '../fixtures/swarm.ts'
import { MsePeerSocket } from './mse-peer.ts'

const PEER_ID = utf8Encode('-TP0001-mseinterop01')
const WAIT = 15_000
const MSG = { unchoke: 1, bitfield: 5, piece: 7 }

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.off('error', reject)
      resolve(s)
    })
    s.once('error', reject)
  })
}

/** After the MSE handshake: BitTorrent handshake both ways, interested -> unchoke, one block checked. */
async function tradeOneBlock(
  peer: MsePeerSocket,
  t: MadeTorrent,
  ourHandshake: 'sent-in-ia' | 'after-theirs',
  peerId = PEER_ID,
): Promise<void> {
  const infoHash = fromHex(t.infoHash)
  const theirs = parseHandshake((await peer.read(68, WAIT)).slice())
  expect(theirs.ok && Array.from(theirs.handshake.infoHash)).toEqual(Array.from(infoHash))
  if (ourHandshake === 'after-theirs') peer.send(encodeHandshake(infoHash, peerId))
  const bitfield = await peer.until(MSG.bitfield, WAIT)
  // a seed's bitfield: every piece set, spare bits clear
  expect(bitfield.payload.length).toBe(Math.ceil(t.pieceCount / 8))
  for (let i = 0; i < t.pieceCount; i++) expect((bitfield.payload[i >> 3]! >> (7 - (i & 7))) & 1).toBe(1)
  peer.send(wire.INTERESTED)
  await peer.until(MSG.unchoke, WAIT)
  const index = 1,
    begin = 16384,
    length = 16384
  peer.send(wire.encodeRequest(index, begin, length))
  const piece = await peer.until(MSG.piece, WAIT)
  const view = new DataView(piece.payload.buffer, piece.payload.byteOffset)
  expect([view.getUint32(0), view.getUint32(4)]).toEqual([index, begin])
  const file = await readFile(t.contentPath)
  const at = index * t.pieceLength + begin
  expect(Buffer.from(piece.payload.subarray(8)).equals(file.subarray(at, at + length))).toBe(true)
}

describe.skipIf(!libtorrentAvailable())('MSE/PE against libtorrent that requires encryption', () => {
  let swarm: Swarm
  const sockets: net.Socket[] = []
  const servers: net.Server[] = []
  beforeEach(async () => {
    swarm = await createSwarm('tidepool-mse-')
  })
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy()
    for (const s of servers.splice(0)) s.close()
    await swarm.close()
  })

  const torrent = () => swarm.torrent({ name: 'encrypted.bin', size: 512 * 1024 + 777, pieceLength: 64 * 1024 })

  /** Our initiator dials the seed and runs the handshake; the BitTorrent handshake rides in IA. */
  async function dialWithMse(port: number, t: MadeTorrent, provide: number) {
    const socket = await connect(port)
    sockets.push(socket)
    const peer = new MsePeerSocket(socket)
    const infoHash = fromHex(t.infoHash)
    // IA carries our BitTorrent handshake, so it goes out with step 3 (no round trip of its own)
    const mse = new MseInitiator({ infoHash, provide, initialPayload: encodeHandshake(infoHash, PEER_ID) })
    return { peer, result: await peer.handshake(mse, mse.start(), WAIT) }
  }

  /** The seed dials our listener; our receiver (serving this torrent and another) answers. */
  async function acceptWithMse(seed: LibtorrentPeer, t: MadeTorrent, prefer: 'rc4' | 'plaintext') {
    const accepted = new Promise<net.Socket>((resolve) => {
      const server = net.createServer((s) => {
        sockets.push(s)
        resolve(s)
      })
      servers.push(server)
      server.listen(0, '127.0.0.1', () => seed.addPeer(`127.0.0.1:${(server.address() as net.AddressInfo).port}`))
    })
    const socket = await Promise.race([
      accepted,
      new Promise<never>((_, rej) => setTimeout(() => rej(new Error('libtorrent never dialled')), WAIT)),
    ])
    const peer = new MsePeerSocket(socket)
    const first = await peer.collect((all) => detectIncoming(Buffer.concat(all)) !== 'need-more', WAIT)
    expect(detectIncoming(Buffer.concat(first))).toBe('encrypted')
    const lookup = createSkeyLookup([fromHex('00'.repeat(20)), fromHex(t.infoHash)])
    const mse = new MseReceiver({ lookup, allowed: CRYPTO_RC4 | CRYPTO_PLAINTEXT, prefer })
    const result = await peer.handshake(mse, null, WAIT, first)
    expect(Array.from(result.infoHash)).toEqual(Array.from(fromHex(t.infoHash)))
    // libtorrent 2.0 sends its BitTorrent handshake as IA: it arrives with the handshake's result
    expect(result.received.length).toBeGreaterThanOrEqual(68)
    return { peer, result }
  }

  it('our initiator: handshake with SKEY = info-hash, then BitTorrent through RC4 (handshake, bitfield, unchoke, one block)', async () => {
    const t = await torrent()
    const seed = await swarm.seed(t, { encryption: 'forced' })
    const { peer, result } = await dialWithMse(seed.port, t, CRYPTO_RC4)
    expect(result.method).toBe('rc4')
    expect(result.cipher.encrypted).toBe(true)
    await tradeOneBlock(peer, t, 'sent-in-ia')
  })

  it('our receiver: libtorrent dials us, the handshake completes and its BitTorrent stream decrypts', async () => {
    const t = await torrent()
    const seed = await swarm.seed(t, { encryption: 'forced' })
    const { peer, result } = await acceptWithMse(seed, t, 'rc4')
    expect(result.method).toBe('rc4') // libtorrent forced to RC4 offers nothing else
    await tradeOneBlock(peer, t, 'after-theirs')
  })

  it('plaintext selected inside MSE (libtorrent allowing both): IA still encrypted, the stream after it plain, both roles', async () => {
    const t = await torrent()
    const seed = await swarm.seed(t, { encryption: 'enabled' })
    const out = await dialWithMse(seed.port, t, CRYPTO_PLAINTEXT)
    expect(out.result.method).toBe('plaintext')
    expect(out.result.cipher.encrypted).toBe(false)
    await tradeOneBlock(out.peer, t, 'sent-in-ia')
    // libtorrent's outgoing connections try MSE first when enabled, offering both methods
    const inc = await acceptWithMse(seed, t, 'plaintext')
    expect(inc.result.method).toBe('plaintext')
    // another peer id: libtorrent drops a second connection from a peer id it is already connected to
    await tradeOneBlock(inc.peer, t, 'after-theirs', utf8Encode('-TP0001-mseinterop02'))
  })

  it('libtorrent set to require encryption refuses a plain handshake; the same handshake works when it allows plain', async () => {
    const t = await torrent()
    const strict = await swarm.seed(t, { encryption: 'forced' })
    const lenient = await swarm.seed(t, { encryption: 'enabled' })
    const infoHash = fromHex(t.infoHash)
    const tryPlain = async (port: number) => {
      const socket = await connect(port)
      sockets.push(socket)
      const peer = new MsePeerSocket(socket)
      peer.plain()
      peer.send(encodeHandshake(infoHash, PEER_ID))
      return peer
    }
    const refused = await tryPlain(strict.port)
    await expect(refused.read(68, WAIT)).rejects.toThrow(/closed|reset|socket error/)
    const ok = await tryPlain(lenient.port)
    const hs = parseHandshake((await ok.read(68, WAIT)).slice())
    expect(hs.ok).toBe(true)
  })
})
