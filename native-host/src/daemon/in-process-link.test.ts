import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { InProcessLink } from './in-process-link.ts'

const tick = () => new Promise<void>((r) => setImmediate(r))
async function ticks(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await tick()
}

function openLink(): Promise<{
  link: InProcessLink
  toDaemon: Array<Buffer | Buffer[]>
  toClient: unknown[]
  closes: string[]
}> {
  const link = new InProcessLink()
  const toDaemon: Array<Buffer | Buffer[]> = []
  const toClient: unknown[] = []
  const closes: string[] = []
  link.daemon.on('message', (d) => toDaemon.push(d))
  link.daemon.on('close', () => closes.push('daemon'))
  link.client.onmessage = (ev) => toClient.push(ev.data)
  link.client.onclose = (ev) => closes.push(`client ${ev.code} ${ev.reason}`)
  return new Promise((resolve) => {
    link.client.onopen = () => resolve({ link, toDaemon, toClient, closes })
  })
}

describe('InProcessLink', () => {
  it('opens on a later task, like a WebSocket', async () => {
    const link = new InProcessLink()
    let opened = false
    link.client.onopen = () => (opened = true)
    expect(link.client.readyState).toBe(0)
    await tick()
    expect(opened).toBe(true)
    expect(link.client.readyState).toBe(1)
  })

  it('delivers in order, one message per task, with microtasks run in between', async () => {
    const { link } = await openLink()
    const seen: string[] = []
    // A handler registered in a microtask after the first message (as a socket handle is after its
    // REPLY) must be in place for the second one.
    let late: ((s: string) => void) | null = null
    link.client.onmessage = (ev) => {
      const s = Buffer.from(ev.data as Uint8Array).toString()
      if (late) late(s)
      else seen.push(`early ${s}`)
      queueMicrotask(() => (late = (x) => seen.push(`late ${x}`)))
    }
    link.daemon.send(Buffer.from('a'), { binary: true })
    link.daemon.send(Buffer.from('b'), { binary: true })
    link.daemon.send(Buffer.from('c'), { binary: true })
    expect(seen).toEqual([]) // never synchronously
    await ticks(3)
    expect(seen).toEqual(['early a', 'late b', 'late c'])
  })

  it("counts bytes sent and not yet delivered as the sender's bufferedAmount", async () => {
    const { link, toDaemon, toClient } = await openLink()
    link.client.send(new Uint8Array(10))
    link.client.send(new Uint8Array(20))
    link.daemon.send(new Uint8Array(7), { binary: true })
    expect(link.client.bufferedAmount).toBe(30)
    expect(link.daemon.bufferedAmount).toBe(7)
    await ticks(3)
    expect(toDaemon.length).toBe(2)
    expect(toClient.length).toBe(1)
    expect(link.client.bufferedAmount).toBe(0)
    expect(link.daemon.bufferedAmount).toBe(0)
  })

  it('hands a fragmented message over as its fragments, without copying the payload', async () => {
    const { link, toDaemon } = await openLink()
    const piece = new Uint8Array(64 * 1024).fill(9)
    link.client.send(new Uint8Array([1, 2, 3]), { binary: true, fin: false })
    link.client.send(piece, { binary: true, fin: true })
    link.client.send(new Uint8Array([4]))
    await ticks(2)
    expect(toDaemon.length).toBe(2)
    const parts = toDaemon[0] as Buffer[]
    expect(Array.isArray(parts)).toBe(true)
    expect([...parts[0]!]).toEqual([1, 2, 3])
    expect(parts[1]!.buffer).toBe(piece.buffer) // the same memory
    expect(parts[1]!.length).toBe(piece.length)
    expect(Buffer.isBuffer(toDaemon[1])).toBe(true)
    expect([...(toDaemon[1] as Buffer)]).toEqual([4])
  })

  it('refuses a send with a write callback (a pooled sender would reuse a buffer the daemon still holds)', async () => {
    const { link, toDaemon } = await openLink()
    expect(() => link.client.send(new Uint8Array(4), { binary: true }, () => {})).toThrow(/'fragments'/)
    await ticks(2)
    expect(toDaemon).toEqual([])
  })

  it('a close from the client delivers what was sent before it, then closes both ends', async () => {
    const { link, toDaemon, closes } = await openLink()
    link.client.send(new Uint8Array([1]))
    link.client.close(1000, 'bye')
    link.client.send(new Uint8Array([2])) // after close: dropped
    expect(link.client.readyState).toBe(2)
    await ticks(3)
    expect(toDaemon.map((d) => [...(d as Buffer)])).toEqual([[1]])
    expect(closes).toEqual(['daemon', 'client 1000 bye'])
    expect(link.daemon.readyState).toBe(3)
    link.daemon.send(new Uint8Array([3]), { binary: true }) // closed: ignored, nothing queued
    expect(link.daemon.bufferedAmount).toBe(0)
  })

  it('a daemon that goes away before the client is open: the client sees an abnormal close, never open', async () => {
    const link = new InProcessLink()
    const events: string[] = []
    link.client.onopen = () => events.push('open')
    link.client.onclose = (ev) => events.push(`close ${ev.code}`)
    expect(link.daemon.readyState).toBe(link.daemon.OPEN) // a server end is open once upgraded
    link.daemon.terminate()
    await ticks(3)
    expect(events).toEqual(['close 1006'])
  })

  it('terminate drops what is still queued and reports an abnormal close (1006)', async () => {
    const { link, toClient, closes } = await openLink()
    link.daemon.send(new Uint8Array(100), { binary: true })
    link.daemon.terminate()
    expect(link.daemon.bufferedAmount).toBe(0)
    await ticks(3)
    expect(toClient).toEqual([])
    expect(closes).toEqual(['daemon', 'client 1006 '])
  })

  it('keeps no reference to a delivered message (a DATA frame would pin its 1 MiB read arena)', async () => {
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    const { link } = await openLink()
    let got = 0
    link.client.onmessage = () => void got++
    let frame: Uint8Array | null = new Uint8Array(1024 * 1024)
    const ref = new WeakRef(frame)
    link.daemon.send(frame, { binary: true })
    frame = null
    for (let i = 0; i < 5; i++) link.daemon.send(new Uint8Array(8), { binary: true }) // the queue stays in use
    await ticks(6)
    expect(got).toBe(6)
    gc()
    expect(ref.deref()).toBeUndefined()
  })
})
