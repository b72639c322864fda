import type { IoError, TcpSocket } from '@tidepool/engine'
import { mseRc4 } from '@tidepool/engine/mse'
import { Capability, Op } from '../protocol.ts'
import {
  BLOCK,
  Collected,
  HANDSHAKE,
  Peer,
  concat,
  dataPlaneClient,
  equal,
  message,
  pattern,
  pieceMessage,
  pieceOf,
  readFile,
  sha1,
  storedMessage,
  storePiece,
  twoFiles,
  waitFor,
} from './data-plane-kit.ts'
import { check, rejectsWith, within, type ConformanceCase } from './harness.ts'

/**
 * The data plane (capability `data-plane`, docs/daemon-protocol.md §4.8). The test side plays the
 * remote peer over loopback (a node:net listener), so it knows every byte on the wire, encrypts
 * with its own RC4 when a case needs MSE, and checks what the daemon wrote with file.read.
 */
export const dataPlaneCases: ConformanceCase[] = [
  {
    id: 'DP-001',
    title: 'data plane: blocks put into the store are verified, written across a file boundary, then forgotten',
    async run(ctx) {
      const c = await ctx.client()
      if (!c.dataPlane) {
        // Without the capability the ops are refused, never half-done.
        const err = await c
          .request(Op.dpOpen, { root: ctx.root, files: [{ path: 'x', length: 1 }], pieceLength: BLOCK })
          .then(
            () => null,
            (e: IoError) => e,
          )
        check(
          err?.code === 'invalid' || err?.code === 'unsupported',
          `dp.open without data-plane: ${err?.code ?? 'ok'}`,
        )
        return
      }
      const { spec, data } = twoFiles(ctx, 'put')
      const t = await c.dataPlane.openTorrent(spec)
      check(t.openPiece(1), 'openPiece(1) of an empty store answered false')
      const p1 = pieceOf(data, 1)
      await t.putBlock(1, 0, p1.subarray(0, BLOCK))
      check((await t.verifyPiece(1, sha1(p1))) === 'incomplete', 'a piece with a missing block was not incomplete')
      await t.putBlock(1, BLOCK, p1.subarray(BLOCK))
      check((await t.verifyPiece(1, sha1(p1))) === 'verified', 'a complete piece with its hash did not verify')
      // The short last piece, put without openPiece (a block that came another way).
      const p2 = pieceOf(data, 2)
      await t.putBlock(2, 0, p2)
      check((await t.verifyPiece(2, sha1(p2))) === 'verified', 'the short last piece did not verify')
      const a = await readFile(c, ctx.root, spec.files[0]!.path, 40_000)
      const b = await readFile(c, ctx.root, spec.files[1]!.path, 30_000)
      check(a && equal(a.subarray(2 * BLOCK), data.subarray(2 * BLOCK, 40_000)), 'file a: piece 1 bytes differ')
      check(b && equal(b, data.subarray(40_000)), 'file sub/b differs from pieces 1 and 2')
      check((await t.verifyPiece(1, sha1(p1))) === 'incomplete', 'a verified piece was not forgotten')
      await t.close()
    },
  },
  {
    id: 'DP-002',
    title: 'data plane: a wrong hash writes nothing and drops the blocks',
    async run(ctx) {
      const c = await dataPlaneClient(ctx)
      if (!c) return
      const { spec, data } = twoFiles(ctx, 'wrong-hash')
      const t = await c.dataPlane!.openTorrent(spec)
      t.openPiece(0)
      const p0 = pieceOf(data, 0)
      await t.putBlock(0, 0, p0.subarray(0, BLOCK))
      await t.putBlock(0, BLOCK, p0.subarray(BLOCK))
      check(
        (await t.verifyPiece(0, sha1(data.subarray(1, 1 + 2 * BLOCK)))) === 'hash-failed',
        'wrong hash not reported',
      )
      check((await c.files.stat(ctx.root, spec.files[0]!.path)) === null, 'a file was written for a piece that failed')
      check((await t.verifyPiece(0, sha1(p0))) === 'incomplete', 'the failed blocks were kept')
      await t.close()
    },
  },
  {
    id: 'DP-003',
    title: 'data plane: files outside the root are bad-path at dp.open; blocks outside their piece are invalid',
    async run(ctx) {
      const c = await dataPlaneClient(ctx)
      if (!c) return
      const dp = c.dataPlane!
      for (const path of ['../escape', `${ctx.dir}/../../escape`, '/etc/passwd', 'a\u0000b']) {
        await rejectsWith(
          dp.openTorrent({ root: ctx.root, pieceLength: BLOCK, files: [{ path, length: 10 }] }),
          'bad-path',
          `dp.open with ${JSON.stringify(path)}`,
        )
      }
      await rejectsWith(
        dp.openTorrent({ root: 'no-such-root-xyz', pieceLength: BLOCK, files: [{ path: 'a', length: 10 }] }),
        'bad-path',
        'dp.open with an unknown root',
      )
      await rejectsWith(
        dp.openTorrent({ root: ctx.root, pieceLength: 0, files: [{ path: 'a', length: 10 }] }),
        'invalid',
        'dp.open with pieceLength 0',
      )
      const { spec } = twoFiles(ctx, 'outside')
      const t = await dp.openTorrent(spec)
      const blk = pattern(BLOCK, 1)
      await rejectsWith(t.putBlock(0, 2 * BLOCK, blk), 'invalid', 'put past the end of the piece')
      await rejectsWith(t.putBlock(0, BLOCK + 1, blk), 'invalid', 'put off the block grid')
      await rejectsWith(t.putBlock(2, 0, blk), 'invalid', 'put longer than the short last piece')
      await rejectsWith(t.putBlock(3, 0, blk), 'invalid', 'put into a piece past the torrent')
      check((await c.files.stat(ctx.root, `${ctx.dir}/outside`)) === null, 'a refused put created files')
      await t.close()
    },
  },
  {
    id: 'DP-004',
    title: 'tcp.frame without cipher: blocks of open pieces become STORED, others stay piece messages, pieces verify',
    async run(ctx) {
      const c = await dataPlaneClient(ctx)
      if (!c) return
      const peer = await Peer.start(ctx)
      const { spec, data } = twoFiles(ctx, 'frame')
      const t = await c.dataPlane!.openTorrent(spec)
      const s = await Collected.connect(c, peer)
      t.openPiece(0)
      const p0 = pieceOf(data, 0)
      const p1 = pieceOf(data, 1)
      const bitfield = message(5, Uint8Array.of(0xe0))
      const have = message(4, Uint8Array.of(0, 0, 0, 2))
      await peer.send(
        concat([
          HANDSHAKE,
          bitfield,
          pieceMessage(0, 0, p0.subarray(0, BLOCK)),
          pieceMessage(1, 0, p1.subarray(0, BLOCK)), // piece 1 is not open: stays a piece message
          pieceMessage(0, BLOCK, p0.subarray(BLOCK)),
          have,
        ]),
      )
      const r = await within(s.frame(t, HANDSHAKE.length), 5000, 'tcp.frame')
      check(r.framed, `frame failed: ${r.error?.code} ${r.error?.message}`)
      const expected = concat([
        bitfield,
        storedMessage(0, 0, BLOCK),
        pieceMessage(1, 0, p1.subarray(0, BLOCK)),
        storedMessage(0, BLOCK, BLOCK),
        have,
      ])
      await waitFor(() => s.framedBytes().length >= expected.length, 5000, 'framed stream')
      check(equal(s.framedBytes(), expected), 'framed stream differs from the peer messages with STORED')
      check((await t.verifyPiece(0, sha1(p0))) === 'verified', 'stored piece 0 did not verify')
      // After framing, live: the short last piece, requested after openPiece as an engine does (the
      // daemon takes the client's frames in order, so the piece is open before the request leaves).
      t.openPiece(2)
      const p2 = pieceOf(data, 2)
      const request = message(6, Uint8Array.of(0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0x11, 0x70))
      s.socket.write(request)
      await waitFor(() => peer.bytes.length >= request.length, 5000, 'request at the peer')
      await peer.send(pieceMessage(2, 0, p2))
      const more = concat([expected, storedMessage(2, 0, p2.length)])
      await waitFor(() => s.framedBytes().length >= more.length, 5000, 'framed stream after frame')
      check(equal(s.framedBytes(), more), 'a block after frame was not STORED')
      check((await t.verifyPiece(2, sha1(p2))) === 'verified', 'piece 2 did not verify')
      // Writes after frame reach the peer as they are (no cipher).
      s.socket.write(message(2))
      await waitFor(() => peer.bytes.length >= request.length + 5, 5000, 'write after frame')
      check(equal(peer.bytes, concat([request, message(2)])), 'the peer got other bytes than the plain writes')
      const a = await readFile(c, ctx.root, spec.files[0]!.path, 40_000)
      check(a && equal(a.subarray(0, 2 * BLOCK), p0), 'piece 0 on disk differs')
      await t.close()
    },
  },
  {
    id: 'DP-005',
    title: 'tcp.frame with RC4: the daemon decrypts from the given state, encrypts writes and sendBlock in order',
    async run(ctx) {
      const c = await dataPlaneClient(ctx)
      if (!c) return
      const peer = await Peer.start(ctx)
      const { spec, data } = twoFiles(ctx, 'rc4')
      const t = await c.dataPlane!.openTorrent(spec)
      const s = await Collected.connect(c, peer)
      const keyIn = pattern(20, 3)
      const keyOut = pattern(20, 4)
      // What the client wrote before frame, encrypted by itself (its handshake).
      const out = mseRc4(keyOut)
      s.socket.write(out.process(HANDSHAKE.slice()))
      t.openPiece(0)
      t.openPiece(1)
      const p0 = pieceOf(data, 0)
      const p1 = pieceOf(data, 1)
      const bitfield = message(5, Uint8Array.of(0xe0))
      const plain = concat([
        HANDSHAKE,
        bitfield,
        pieceMessage(0, 0, p0.subarray(0, BLOCK)),
        pieceMessage(1, BLOCK, p1.subarray(BLOCK)),
        message(250, new Uint8Array(12)), // a peer's own 250: dropped
        pieceMessage(0, BLOCK, p0.subarray(BLOCK)),
        pieceMessage(1, 0, p1.subarray(0, BLOCK)),
      ])
      await peer.send(mseRc4(keyIn).process(plain))
      const decrypt = mseRc4(keyIn)
      decrypt.skip(HANDSHAKE.length)
      const r = await within(
        s.frame(t, HANDSHAKE.length, { decrypt: decrypt.snapshot(), encrypt: out.snapshot() }),
        5000,
        'tcp.frame',
      )
      check(r.framed, `frame failed: ${r.error?.code} ${r.error?.message}`)
      const expected = concat([
        bitfield,
        storedMessage(0, 0, BLOCK),
        storedMessage(1, BLOCK, BLOCK),
        storedMessage(0, BLOCK, BLOCK),
        storedMessage(1, 0, BLOCK),
      ])
      await waitFor(() => s.framedBytes().length >= expected.length, 5000, 'framed stream')
      check(equal(s.framedBytes(), expected), 'decrypted framed stream differs')
      check((await t.verifyPiece(0, sha1(p0))) === 'verified', 'piece 0 did not verify')
      check((await t.verifyPiece(1, sha1(p1))) === 'verified', 'piece 1 did not verify')
      // Plaintext writes and an upload of piece 1's first block (it spans files a and sub/b).
      const sendBlock = s.socket.sendBlock
      check(sendBlock, 'a framed socket has no sendBlock')
      let readError: IoError | undefined
      s.socket.write(message(2))
      sendBlock.call(s.socket, t, 1, 0, BLOCK, (e) => (readError = e))
      s.socket.write(message(4, Uint8Array.of(0, 0, 0, 1)))
      const wanted = concat([
        HANDSHAKE,
        message(2),
        pieceMessage(1, 0, p1.subarray(0, BLOCK)),
        message(4, Uint8Array.of(0, 0, 0, 1)),
      ])
      await waitFor(() => peer.bytes.length >= wanted.length, 5000, `peer got ${peer.bytes.length} of ${wanted.length}`)
      check(readError === undefined, `sendBlock failed: ${readError?.message}`)
      check(equal(mseRc4(keyOut).process(peer.bytes), wanted), 'the peer decrypted other bytes than were sent')
      await t.close()
    },
  },
  {
    id: 'DP-006',
    title:
      'sendBlock without cipher: blocks read across a file boundary and padding, in order; a read error sends nothing',
    async run(ctx) {
      const c = await dataPlaneClient(ctx)
      if (!c) return
      const dp = c.dataPlane!
      // a (20,000), a padding file (12,768: reads as zeros), b (30,000); pieces of 32 KiB.
      const spec = {
        root: ctx.root,
        pieceLength: 2 * BLOCK,
        files: [
          { path: `${ctx.dir}/send/a`, length: 20_000 },
          { path: `${ctx.dir}/send/.pad/12768`, length: 12_768, padding: true },
          { path: `${ctx.dir}/send/b`, length: 30_000 },
        ],
      }
      const data = pattern(62_768, 9)
      data.fill(0, 20_000, 2 * BLOCK)
      const t = await dp.openTorrent(spec)
      for (let p = 0; p < 2; p++) await storePiece(t, p, pieceOf(data, p))
      check((await c.files.stat(ctx.root, spec.files[1]!.path)) === null, 'the padding file was written')
      const missing = await dp.openTorrent({
        root: ctx.root,
        pieceLength: 2 * BLOCK,
        files: [{ path: `${ctx.dir}/send/never-written`, length: 2 * BLOCK }],
      })
      const peer = await Peer.start(ctx)
      const s = await Collected.connect(c, peer)
      await peer.send(HANDSHAKE)
      const r = await within(s.frame(t, HANDSHAKE.length), 5000, 'tcp.frame')
      check(r.framed, `frame failed: ${r.error?.code}`)
      const sendBlock = s.socket.sendBlock!
      const errors: IoError[] = []
      sendBlock.call(s.socket, t, 0, BLOCK, BLOCK, (e) => errors.push(e)) // a, then padding
      sendBlock.call(s.socket, missing, 0, 0, BLOCK, (e) => errors.push(e)) // no file: nothing sent
      s.socket.write(message(1))
      sendBlock.call(s.socket, t, 1, BLOCK, 62_768 - 3 * BLOCK, (e) => errors.push(e)) // b's tail
      const wanted = concat([
        pieceMessage(0, BLOCK, data.subarray(BLOCK, 2 * BLOCK)),
        message(1),
        pieceMessage(1, BLOCK, data.subarray(3 * BLOCK)),
      ])
      await waitFor(() => peer.bytes.length >= wanted.length && errors.length >= 1, 5000, 'blocks at the peer')
      check(equal(peer.bytes, wanted), 'the peer got other bytes than the blocks and the write, in order')
      check(errors.length === 1 && errors[0]!.code === 'not-found', `read error: ${errors.map((e) => e.code)}`)
      await t.close()
      await missing.close()
    },
  },
  {
    id: 'DP-007',
    title: 'a peer socket closed mid-piece: its stored blocks stay, another socket brings the rest, the piece verifies',
    async run(ctx) {
      const c = await dataPlaneClient(ctx)
      if (!c) return
      const { spec, data } = twoFiles(ctx, 'mid-piece')
      const t = await c.dataPlane!.openTorrent(spec)
      t.openPiece(0)
      const p0 = pieceOf(data, 0)
      const peer1 = await Peer.start(ctx)
      const s1 = await Collected.connect(c, peer1)
      await peer1.send(concat([HANDSHAKE, pieceMessage(0, 0, p0.subarray(0, BLOCK))]))
      check((await s1.frame(t, HANDSHAKE.length)).framed, 'frame of socket 1 failed')
      await waitFor(() => s1.framedBytes().length >= 17, 5000, 'STORED on socket 1')
      peer1.socket!.destroy()
      await waitFor(() => s1.closed !== 'open', 5000, 'socket 1 did not close')
      const peer2 = await Peer.start(ctx)
      const s2 = await Collected.connect(c, peer2)
      await peer2.send(concat([HANDSHAKE, pieceMessage(0, BLOCK, p0.subarray(BLOCK))]))
      check((await s2.frame(t, HANDSHAKE.length)).framed, 'frame of socket 2 failed')
      await waitFor(() => s2.framedBytes().length >= 17, 5000, 'STORED on socket 2')
      check(equal(s2.framedBytes(), storedMessage(0, BLOCK, BLOCK)), 'socket 2 framed stream differs')
      check((await t.verifyPiece(0, sha1(p0))) === 'verified', 'the piece did not verify from two sockets')
      await t.close()
    },
  },
  {
    id: 'DP-008',
    title:
      'tcp.frame after more than 256 KiB was delivered fails too-large, after the peer ended closed; the socket stays plain',
    async run(ctx) {
      const c = await dataPlaneClient(ctx)
      if (!c) return
      const { spec } = twoFiles(ctx, 'retention')
      const t = await c.dataPlane!.openTorrent(spec)
      const peer = await Peer.start(ctx)
      const s = await Collected.connect(c, peer)
      const junk = pattern(300 * 1024, 5)
      await peer.send(concat([HANDSHAKE, junk]))
      const r = await s.frame(t, HANDSHAKE.length + junk.length)
      check(!r.framed && r.error?.code === 'too-large', `frame past the cap: ${r.framed} ${r.error?.code}`)
      await peer.send(Uint8Array.of(1, 2, 3))
      await waitFor(() => s.rawBytes() >= HANDSHAKE.length + junk.length + 3, 5000, 'raw bytes after a failed frame')
      check(s.framed.length === 0, 'framed bytes after a failed frame')
      // A peer that half-closed before tcp.frame: its end went out first, so the socket stays plain.
      const peer2 = await Peer.start(ctx)
      const s2 = await c.net.connect({ host: '127.0.0.1', port: peer2.port, framable: true })
      let raw2 = 0
      let ended = false
      s2.setHandlers({ onData: (b) => (raw2 += b.length), onEnd: () => (ended = true) })
      await peer2.send(HANDSHAKE)
      peer2.socket!.end()
      await waitFor(() => ended && raw2 === HANDSHAKE.length, 5000, 'handshake and end')
      const r2 = await new Promise<{ framed: boolean; error?: IoError }>((resolve) =>
        s2.frame!({ torrent: t, at: HANDSHAKE.length }, (framed, error) => resolve({ framed, error })),
      )
      check(!r2.framed && r2.error?.code === 'closed', `frame after the peer's end: ${r2.framed} ${r2.error?.code}`)
      s2.close()
      await t.close()
    },
  },
  {
    id: 'DP-009',
    title: 'messages with id 250 from the peer never reach the client; an oversize message closes the socket',
    async run(ctx) {
      const c = await dataPlaneClient(ctx)
      if (!c) return
      const { spec } = twoFiles(ctx, 'hostile')
      const t = await c.dataPlane!.openTorrent(spec)
      t.openPiece(0)
      const peer = await Peer.start(ctx)
      const s = await Collected.connect(c, peer)
      await peer.send(
        concat([
          HANDSHAKE,
          storedMessage(0, 0, BLOCK), // forged STORED
          message(1),
          message(250),
          message(250, pattern(1000, 1)),
        ]),
      )
      check((await s.frame(t, HANDSHAKE.length)).framed, 'frame failed')
      await peer.send(concat([storedMessage(0, BLOCK, BLOCK), message(0)]))
      await waitFor(() => s.framedBytes().length >= 10, 5000, 'framed stream')
      check(equal(s.framedBytes(), concat([message(1), message(0)])), 'a message with id 250 was forwarded')
      const huge = new Uint8Array(5)
      new DataView(huge.buffer).setUint32(0, 0x7fffffff)
      await peer.send(huge)
      await waitFor(() => s.closed !== 'open', 5000, 'an oversize message did not close the socket')
      const closed = s.closed as IoError | undefined
      check(closed?.code === 'too-large', `closed with ${closed?.code}`)
      check(
        (await t.verifyPiece(0, sha1(new Uint8Array(2 * BLOCK)))) === 'incomplete',
        'a forged STORED filled a block',
      )
      await t.close()
    },
  },
  {
    id: 'DP-010',
    title: 'framable uTP: an accepted uTP socket of a framable listener frames like TCP',
    async run(ctx) {
      const c = await dataPlaneClient(ctx)
      if (!c?.utp) return
      const { spec, data } = twoFiles(ctx, 'utp')
      const t = await c.dataPlane!.openTorrent(spec)
      t.openPiece(0)
      const accepted: TcpSocket[] = []
      const l = await c.net.listen({ host: '127.0.0.1', port: 0, utp: true, framable: true }, (sock) =>
        accepted.push(sock),
      )
      ctx.cleanups.push(() => l.close())
      const other = await ctx.client()
      const out = await within(
        other.net.connect({ host: '127.0.0.1', port: l.port, transport: 'utp' }),
        10_000,
        'uTP connect',
      )
      out.setHandlers({})
      const p0 = pieceOf(data, 0)
      out.write(
        concat([
          HANDSHAKE,
          pieceMessage(0, 0, p0.subarray(0, BLOCK)),
          pieceMessage(0, BLOCK, p0.subarray(BLOCK)),
          message(1),
        ]),
      )
      await waitFor(() => accepted.length === 1, 5000, 'uTP accept')
      const s = new Collected(accepted[0]!)
      check(accepted[0]!.transport === 'utp', 'the accepted socket is not uTP')
      check((await s.frame(t, HANDSHAKE.length)).framed, 'frame of the uTP socket failed')
      const expected = concat([storedMessage(0, 0, BLOCK), storedMessage(0, BLOCK, BLOCK), message(1)])
      await waitFor(() => s.framedBytes().length >= expected.length, 10_000, 'framed uTP stream')
      check(equal(s.framedBytes(), expected), 'framed uTP stream differs')
      check((await t.verifyPiece(0, sha1(p0))) === 'verified', 'piece 0 from uTP did not verify')
      await t.close()
    },
  },
  {
    id: 'DP-011',
    title:
      'hostile data-plane requests: a bad at, a broken RC4 state, a second frame, dp.send on a plain socket, unknown handles',
    async run(ctx) {
      const c = await dataPlaneClient(ctx)
      if (!c) return
      const { spec } = twoFiles(ctx, 'hostile-ops')
      const t = await c.dataPlane!.openTorrent(spec)
      const th = (t as unknown as { handle: number }).handle
      const peer = await Peer.start(ctx)
      const s = await Collected.connect(c, peer)
      const h = (s.socket as unknown as { handle: number }).handle
      await peer.send(HANDSHAKE)
      await waitFor(() => s.rawBytes() >= HANDSHAKE.length, 5000, 'handshake')
      const code = (p: Promise<unknown>): Promise<string> =>
        p.then(
          () => 'ok',
          (e: IoError) => e.code,
        )
      check(
        (await code(c.request(Op.tcpFrame, { handle: h, torrent: th, at: 69 }))) === 'invalid',
        'at past the bytes received',
      )
      const notPermutation = new Uint8Array(516) // all zeros: not a permutation
      check(
        (await code(c.request(Op.tcpFrame, { handle: h, torrent: th, at: 68, cipher: true }, notPermutation))) ===
          'invalid',
        'a cipher state that is not a permutation',
      )
      check(
        (await code(c.request(Op.tcpFrame, { handle: h, torrent: th, at: 68, cipher: true }, new Uint8Array(10)))) ===
          'invalid',
        'a cipher payload of the wrong size',
      )
      check((await code(c.request(Op.tcpFrame, { handle: h, torrent: 999_999, at: 68 }))) === 'closed', 'unknown store')
      check(
        (await code(c.request(Op.dpSend, { handle: h, torrent: th, piece: 0, begin: 0, length: BLOCK }))) === 'invalid',
        'dp.send on a socket that is not framed',
      )
      // The failed attempts changed nothing: the socket still frames.
      check((await s.frame(t, HANDSHAKE.length)).framed, 'frame after refused attempts failed')
      check((await code(c.request(Op.tcpFrame, { handle: h, torrent: th, at: 68 }))) === 'invalid', 'a second frame')
      check(
        (await code(c.request(Op.dpSend, { handle: h, torrent: th, piece: 0, begin: 0, length: 200 * 1024 }))) ===
          'invalid',
        'dp.send of more than 128 KiB',
      )
      check(
        (await code(c.request(Op.dpSend, { handle: h, torrent: th, piece: 2, begin: 0, length: BLOCK }))) === 'invalid',
        'dp.send past the short last piece',
      )
      check(
        (await code(c.request(Op.dpVerify, { handle: th, piece: 0 }, new Uint8Array(19)))) === 'invalid',
        'short hash',
      )
      check(
        (await code(c.request(Op.dpPiece, { handle: 999_999, piece: 0, open: true }))) === 'closed',
        'unknown store',
      )
      const plain = await c.net.connect({ host: '127.0.0.1', port: peer.port })
      const ph = (plain as unknown as { handle: number }).handle
      check(
        (await code(c.request(Op.tcpFrame, { handle: ph, torrent: th, at: 0 }))) === 'invalid',
        'a socket not framable',
      )
      plain.close()
      check(
        (await code(c.request(Op.tcpConnect, { host: '127.0.0.1', port: peer.port, framable: 'yes' }))) === 'invalid',
        'framable that is not a boolean',
      )
      await t.close()
    },
  },
  {
    id: 'DP-012',
    title: 'dp.send after a piece was verified and written again sends the new bytes (a cache keeps no old copy)',
    async run(ctx) {
      const c = await dataPlaneClient(ctx)
      if (!c) return
      const dp = c.dataPlane!
      const spec = {
        root: ctx.root,
        pieceLength: 2 * BLOCK,
        files: [{ path: `${ctx.dir}/rewrite/a`, length: 4 * BLOCK }],
      }
      const t = await dp.openTorrent(spec)
      const before = pattern(2 * BLOCK, 21)
      const after = pattern(2 * BLOCK, 22) // what a recheck-and-download would bring for the same piece
      await storePiece(t, 0, before)
      const peer = await Peer.start(ctx)
      const s = await Collected.connect(c, peer)
      await peer.send(HANDSHAKE)
      check((await within(s.frame(t, HANDSHAKE.length), 5000, 'tcp.frame')).framed, 'frame failed')
      const errors: IoError[] = []
      s.socket.sendBlock!.call(s.socket, t, 0, 0, BLOCK, (e) => errors.push(e))
      const first = pieceMessage(0, 0, before.subarray(0, BLOCK))
      await waitFor(() => peer.bytes.length >= first.length, 5000, 'first block at the peer')
      await storePiece(t, 0, after)
      s.socket.sendBlock!.call(s.socket, t, 0, 0, BLOCK, (e) => errors.push(e))
      const wanted = concat([first, pieceMessage(0, 0, after.subarray(0, BLOCK))])
      await waitFor(() => peer.bytes.length >= wanted.length, 5000, 'second block at the peer')
      check(errors.length === 0, `sendBlock failed: ${errors.map((e) => e.code)}`)
      check(equal(peer.bytes, wanted), 'the second send did not carry the bytes written last')
      await t.close()
    },
  },
  {
    id: 'DP-013',
    title: 'data-plane-runs: one dp.send with count sends that many blocks in order; a run past its piece is refused',
    async run(ctx) {
      const c = await dataPlaneClient(ctx)
      if (!c?.capabilities.has(Capability.dataPlaneRuns)) return
      const dp = c.dataPlane!
      const spec = { root: ctx.root, pieceLength: 4 * BLOCK, files: [{ path: `${ctx.dir}/runs/a`, length: 6 * BLOCK }] }
      const data = pattern(6 * BLOCK, 31)
      const t = await dp.openTorrent(spec)
      for (let p = 0; p < 2; p++) await storePiece(t, p, pieceOf(data, p, 4 * BLOCK))
      const th = (t as unknown as { handle: number }).handle
      const peer = await Peer.start(ctx)
      const s = await Collected.connect(c, peer)
      const h = (s.socket as unknown as { handle: number }).handle
      await peer.send(HANDSHAKE)
      check((await within(s.frame(t, HANDSHAKE.length), 5000, 'tcp.frame')).framed, 'frame failed')
      const code = (p: Promise<unknown>): Promise<string> =>
        p.then(
          () => 'ok',
          (e: IoError) => e.code,
        )
      const send = (meta: object) => code(c.request(Op.dpSend, { handle: h, torrent: th, length: BLOCK, ...meta }))
      check((await send({ piece: 0, begin: BLOCK, count: 3 })) === 'ok', 'a run of 3 blocks was refused')
      s.socket.write(message(1))
      check((await send({ piece: 1, begin: 0, count: 2 })) === 'ok', 'a run over the short last piece was refused')
      check((await send({ piece: 0, begin: 2 * BLOCK, count: 3 })) === 'invalid', 'a run past the piece')
      check((await send({ piece: 1, begin: 0, count: 3 })) === 'invalid', 'a run past the last piece')
      check((await send({ piece: 0, begin: 0, count: 0 })) === 'invalid', 'count 0')
      check((await send({ piece: 0, begin: 0, count: 100_000 })) === 'invalid', 'a count over the limit')
      const wanted = concat([
        pieceMessage(0, BLOCK, data.subarray(BLOCK, 2 * BLOCK)),
        pieceMessage(0, 2 * BLOCK, data.subarray(2 * BLOCK, 3 * BLOCK)),
        pieceMessage(0, 3 * BLOCK, data.subarray(3 * BLOCK, 4 * BLOCK)),
        message(1),
        pieceMessage(1, 0, data.subarray(4 * BLOCK, 5 * BLOCK)),
        pieceMessage(1, BLOCK, data.subarray(5 * BLOCK)),
      ])
      await waitFor(() => peer.bytes.length >= wanted.length, 5000, `peer got ${peer.bytes.length} of ${wanted.length}`)
      check(equal(peer.bytes, wanted), 'the peer got other bytes than the runs and the write, in order')
      await t.close()
    },
  },
]
