import * as Comlink from 'comlink'
import { describe, expect, it } from 'vitest'
import { portEndpoint, type PortLike } from './port-endpoint.ts'
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
