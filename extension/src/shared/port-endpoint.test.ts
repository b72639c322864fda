import * as Comlink from 'comlink'
import { describe, expect, it } from 'vitest'
import { portEndpoint, reconnectingEndpoint, type PortLike } from './port-endpoint.ts'
import { decode, encode } from './wire-encoding.ts'

/** Two connected fake ports that pass JSON text, like chrome.runtime messaging. */
function pair(): [PortLike, PortLike] {
  const make = () => {
    const ls = new Set<(m: unknown) => void>()
    const dl = new Set<() => void>()
    return { ls, dl, port: null as unknown as PortLike }
  }
  const a = make()
  const b = make()
  const port = (self: typeof a, other: typeof a): PortLike => ({
    postMessage: (m) => {
      const json = JSON.stringify(m)
      queueMicrotask(() => other.ls.forEach((f) => f(JSON.parse(json))))
    },
    onMessage: { addListener: (f) => self.ls.add(f), removeListener: (f) => self.ls.delete(f) },
    onDisconnect: { addListener: (f) => self.dl.add(f) },
  })
  return [port(a, b), port(b, a)]
}

describe('wire encoding', () => {
  it('round-trips bytes nested anywhere', () => {
    const v = { a: new Uint8Array([0, 1, 255]), b: [{ c: new Uint8Array(70_000).fill(7) }], d: 'x', e: null, f: 3 }
    const back = decode(JSON.parse(JSON.stringify(encode(v)))) as typeof v
    expect(back.a).toEqual(new Uint8Array([0, 1, 255]))
    expect(back.b[0]!.c.length).toBe(70_000)
    expect(back.b[0]!.c[69_999]).toBe(7)
    expect(back.d).toBe('x')
    expect(back.e).toBeNull()
  })
})

describe('portEndpoint + comlink', () => {
  it('calls an exposed API with bytes in and out over a JSON-only port', async () => {
    const [pa, pb] = pair()
    const api = {
      async sum(data: Uint8Array) {
        return data.reduce((x, y) => x + y, 0)
      },
      async pieces() {
        return { pieceCount: 3, states: new Uint8Array([2, 1, 0]) }
      },
      async fail() {
        throw new Error('nope')
      },
    }
    Comlink.expose(api, portEndpoint(pb))
    const remote = Comlink.wrap<typeof api>(portEndpoint(pa))
    expect(await remote.sum(new Uint8Array([1, 2, 3, 250]))).toBe(256)
    const p = await remote.pieces()
    expect(p.states).toBeInstanceOf(Uint8Array)
    expect([...p.states]).toEqual([2, 1, 0])
    await expect(remote.fail()).rejects.toThrow('nope')
  })
})

/** A port whose other end is not listening: Chrome disconnects it at once and drops what was posted. */
function deadPort(): PortLike & { posted: unknown[] } {
  const dl = new Set<() => void>()
  const posted: unknown[] = []
  setTimeout(() => dl.forEach((f) => f()), 0) // a later task, as Chrome dispatches it
  return {
    posted,
    postMessage: (m) => void posted.push(m),
    onMessage: { addListener: () => {}, removeListener: () => {} },
    onDisconnect: { addListener: (f) => dl.add(f) },
  }
}

describe('reconnectingEndpoint + comlink', () => {
  const api = {
    async echo(x: string) {
      return `got ${x}`
    },
  }

  it('answers a call made before the other side listened, over the next port', async () => {
    const dead: Array<ReturnType<typeof deadPort>> = []
    let opened = 0
    const endpoint = reconnectingEndpoint(
      async () => {
        opened++
        if (opened <= 2) {
          const d = deadPort()
          dead.push(d)
          return d
        }
        const [pa, pb] = pair()
        Comlink.expose(api, portEndpoint(pb))
        return pa
      },
      (fn) => void setTimeout(fn, 1),
    )
    const remote = Comlink.wrap<typeof api>(endpoint)
    expect(await remote.echo('a')).toBe('got a')
    expect(await remote.echo('b')).toBe('got b')
    expect(opened).toBe(3)
  })

  it('posts an unanswered request again when its port goes away, and not an answered one', async () => {
    let served = 0
    let first: PortLike | null = null
    let disconnectFirst = () => {}
    let opened = 0
    const endpoint = reconnectingEndpoint(
      async () => {
        opened++
        const [pa, pb] = pair()
        if (opened === 1) {
          // the side that answers once, then hears nothing more and goes away
          const dl = new Set<() => void>()
          first = {
            ...pa,
            onDisconnect: { addListener: (f) => dl.add(f) },
          }
          disconnectFirst = () => dl.forEach((f) => f())
          Comlink.expose(
            {
              async echo(x: string) {
                served++
                if (x === 'lost') return new Promise(() => {}) // never answers: its side dies first
                return `got ${x}`
              },
            },
            portEndpoint(pb),
          )
          return first
        }
        Comlink.expose(
          {
            async echo(x: string) {
              served++
              return `again ${x}`
            },
          },
          portEndpoint(pb),
        )
        return pa
      },
      (fn) => void setTimeout(fn, 1),
    )
    const remote = Comlink.wrap<{ echo(x: string): Promise<string> }>(endpoint)
    expect(await remote.echo('ok')).toBe('got ok')
    const lost = remote.echo('lost')
    await new Promise((r) => setTimeout(r, 5))
    disconnectFirst()
    expect(await lost).toBe('again lost')
    expect(served).toBe(3) // ok once, lost on each side; 'ok' was not posted again
    expect(first).not.toBeNull()
  })
})
