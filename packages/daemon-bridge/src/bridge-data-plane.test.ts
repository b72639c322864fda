import { IoError, StoreBudget } from '@tidepool/engine'
import { describe, expect, it } from 'vitest'
import { BridgeDataPlaneTorrent } from './bridge-data-plane.ts'
import { BridgeTcpSocket, SEND_AHEAD_BYTES, type SocketHost } from './bridge-tcp-socket.ts'
import { Op } from './protocol.ts'

const MiB = 1024 * 1024

/** Records what the client sends; replies are given by the test. */
class FakeHost implements SocketHost {
  sent: Array<{ op: number; meta: Record<string, unknown> }> = []
  credit = 0
  replies: Array<(meta: Record<string, unknown> | null, err?: IoError) => void> = []
  sendData(_h: number, _d: Uint8Array): void {}
  wireFull(): boolean {
    return false
  }
  whenWireDrains(fn: () => void): void {
    fn()
  }
  grantCredit(_h: number, bytes: number): void {
    this.credit += bytes
  }
  fireAndForget(op: number, meta: object): void {
    this.sent.push({ op, meta: meta as Record<string, unknown> })
  }
  forget(): void {}
  requestNow(op: number, meta: object, _p: Uint8Array | undefined, onReply: (r: unknown, err?: IoError) => void): void {
    this.sent.push({ op, meta: meta as Record<string, unknown> })
    this.replies.push((m, err) => onReply(m ? { meta: m } : null, err))
  }
  request(op: number, meta: object): Promise<{ meta: Record<string, unknown> }> {
    this.sent.push({ op, meta: meta as Record<string, unknown> })
    return new Promise((resolve, reject) => this.replies.push((m, err) => (m ? resolve({ meta: m }) : reject(err))))
  }
}

function torrent(host: FakeHost, budget: StoreBudget, length = 10 * MiB, pieceLength = 4 * MiB) {
  return new BridgeDataPlaneTorrent(host, 7, { root: 'r', pieceLength, files: [{ path: 'f', length }] }, budget)
}

describe('BridgeDataPlaneTorrent', () => {
  it('openPiece answers from the local count against the cap, without waiting for the daemon', () => {
    const host = new FakeHost()
    const budget = new StoreBudget(8 * MiB)
    const t = torrent(host, budget)
    expect(t.openPiece(0)).toBe(true)
    expect(t.openPiece(0)).toBe(true) // already open: nothing sent twice
    expect(t.openPiece(2)).toBe(true) // the short last piece: 2 MiB
    expect(budget.used).toBe(6 * MiB)
    expect(t.openPiece(1)).toBe(false)
    expect(t.openPiece(3)).toBe(false) // no such piece
    expect(host.sent.map((s) => [s.op, s.meta.piece, s.meta.open])).toEqual([
      [Op.dpPiece, 0, true],
      [Op.dpPiece, 2, true],
    ])
    t.dropPiece(0)
    expect(budget.used).toBe(2 * MiB)
    expect(t.openPiece(1)).toBe(true)
  })

  it('keeps the reservation until the verdict; incomplete keeps the piece open', async () => {
    const host = new FakeHost()
    const budget = new StoreBudget(8 * MiB)
    const t = torrent(host, budget)
    t.openPiece(0)
    const v1 = t.verifyPiece(0, new Uint8Array(20))
    expect(budget.used).toBe(4 * MiB)
    host.replies.shift()!({ verdict: 'incomplete' })
    expect(await v1).toBe('incomplete')
    expect(budget.used).toBe(4 * MiB)
    const v2 = t.verifyPiece(0, new Uint8Array(20))
    host.replies.shift()!({ verdict: 'verified' })
    expect(await v2).toBe('verified')
    expect(budget.used).toBe(0)
    t.openPiece(1)
    const v3 = t.verifyPiece(1, new Uint8Array(20))
    host.replies.shift()!(null, new IoError('no-space', 'disk full'))
    await expect(v3).rejects.toThrow('disk full')
    expect(budget.used).toBe(0)
  })
})

describe('BridgeTcpSocket.frame', () => {
  it('calls done inside the reply handler and drops raw data still queued (granting its credit)', () => {
    const host = new FakeHost()
    const s = new BridgeTcpSocket(host, 3, '127.0.0.1', 1, 'tcp', true)
    const got: number[] = []
    s.setHandlers({ onData: (b) => got.push(b.length) })
    s.onWireData(new Uint8Array(68))
    s.pause()
    s.onWireData(new Uint8Array(100)) // queued while paused: comes again framed
    const t = torrent(host, new StoreBudget())
    const events: string[] = []
    s.frame!({ torrent: t, at: 68 }, (framed) => events.push(`done ${framed}`))
    expect(host.sent.at(-1)).toEqual({ op: Op.tcpFrame, meta: { handle: 3, torrent: 7, at: 68 } })
    const creditBefore = host.credit
    host.replies.shift()!({})
    expect(events).toEqual(['done true'])
    expect(host.credit - creditBefore).toBe(100)
    s.onWireData(new Uint8Array(17)) // framed DATA after the reply
    s.resume()
    expect(got).toEqual([68, 17])
  })

  it('a refused frame leaves the socket as it was', () => {
    const host = new FakeHost()
    const s = new BridgeTcpSocket(host, 3, '127.0.0.1', 1, 'tcp', true)
    const got: number[] = []
    s.setHandlers({ onData: (b) => got.push(b.length) })
    s.pause()
    s.onWireData(new Uint8Array(10))
    let error: IoError | undefined
    s.frame!({ torrent: torrent(host, new StoreBudget()), at: 0 }, (_f, e) => (error = e))
    host.replies.shift()!(null, new IoError('too-large', 'retention'))
    expect(error?.code).toBe('too-large')
    s.resume()
    expect(got).toEqual([10])
  })

  it('sockets not opened framable have neither frame nor sendBlock', () => {
    const s = new BridgeTcpSocket(new FakeHost(), 3, '127.0.0.1', 1)
    expect(s.frame).toBeUndefined()
    expect(s.sendBlock).toBeUndefined()
  })
})

describe('BridgeTcpSocket.sendBlock runs (data-plane-runs)', () => {
  /** Records sendData too, so the order of dp.send against DATA shows. */
  class RunHost extends FakeHost {
    readonly blockRuns: boolean
    constructor(runs: boolean) {
      super()
      this.blockRuns = runs
    }
    override sendData(_h: number, data: Uint8Array): void {
      this.sent.push({ op: -1, meta: { data: data.length } })
    }
  }
  const block = 16 * 1024

  it('gathers blocks that follow each other into one dp.send; a write, another piece or a gap starts a new one', async () => {
    const host = new RunHost(true)
    const s = new BridgeTcpSocket(host, 3, '127.0.0.1', 1, 'tcp', true)
    const t = torrent(host, new StoreBudget())
    for (let k = 0; k < 4; k++) s.sendBlock!(t, 1, k * block, block)
    s.write(new Uint8Array(5)) // the run goes out before these bytes
    s.sendBlock!(t, 1, 4 * block, block)
    s.sendBlock!(t, 2, 0, block) // another piece
    s.sendBlock!(t, 2, 2 * block, block) // a gap
    s.sendBlock!(t, 2, 3 * block, block)
    await Promise.resolve()
    const base = { handle: 3, torrent: 7, length: block }
    expect(host.sent).toEqual([
      { op: Op.dpSend, meta: { ...base, piece: 1, begin: 0, count: 4 } },
      { op: -1, meta: { data: 5 } },
      { op: Op.dpSend, meta: { ...base, piece: 1, begin: 4 * block } },
      { op: Op.dpSend, meta: { ...base, piece: 2, begin: 0 } },
      { op: Op.dpSend, meta: { ...base, piece: 2, begin: 2 * block, count: 2 } },
    ])
  })

  it('a failed run reports every block of it; without the capability each block is its own dp.send', async () => {
    const host = new RunHost(true)
    const s = new BridgeTcpSocket(host, 3, '127.0.0.1', 1, 'tcp', true)
    const t = torrent(host, new StoreBudget())
    const failed: string[] = []
    for (let k = 0; k < 3; k++) s.sendBlock!(t, 0, k * block, block, (e) => failed.push(`${k} ${e.code}`))
    await Promise.resolve()
    expect(host.sent.length).toBe(1)
    host.replies.shift()!(null, new IoError('io', 'short file'))
    await new Promise((r) => setTimeout(r, 0))
    expect(failed).toEqual(['0 io', '1 io', '2 io'])

    const old = new RunHost(false)
    const o = new BridgeTcpSocket(old, 3, '127.0.0.1', 1, 'tcp', true)
    for (let k = 0; k < 3; k++) o.sendBlock!(torrent(old, new StoreBudget()), 0, k * block, block)
    expect(old.sent.map((x) => x.meta.count)).toEqual([undefined, undefined, undefined])
  })
})

describe('BridgeTcpSocket.sendBlock backpressure', () => {
  const block = 16 * 1024
  it('reports backpressure once SEND_AHEAD_BYTES of dp.send are unanswered, and drains as the replies come', async () => {
    const host = new FakeHost()
    const s = new BridgeTcpSocket(host, 3, '127.0.0.1', 1, 'tcp', true)
    let drains = 0
    s.setHandlers({ onDrain: () => drains++ })
    const t = torrent(host, new StoreBudget(), 64 * MiB)
    const perLimit = SEND_AHEAD_BYTES / block
    const accepted: boolean[] = []
    // one block per piece, so each is its own dp.send whatever runs do
    for (let k = 0; k < perLimit + 2; k++) accepted.push(s.sendBlock!(t, k % 16, 0, block))
    expect(accepted.slice(0, perLimit - 1).every(Boolean)).toBe(true)
    expect(accepted.slice(perLimit - 1)).toEqual([false, false, false])
    expect(host.sent.filter((x) => x.op === Op.dpSend).length).toBe(perLimit + 2)
    // still over the limit after two replies: no drain yet
    host.replies.shift()!({})
    host.replies.shift()!({})
    await new Promise((r) => setTimeout(r, 0))
    expect(drains).toBe(0)
    host.replies.shift()!({})
    await new Promise((r) => setTimeout(r, 0))
    expect(drains).toBe(1)
    // a failed dp.send gives its bytes back as well
    expect(s.sendBlock!(t, 0, block, block)).toBe(false)
    host.replies.shift()!(null, new IoError('io', 'short file'))
    await new Promise((r) => setTimeout(r, 0))
    expect(drains).toBe(2)
  })
})
