import { describe, expect, it } from 'vitest'
import { xorshift } from '../util/fuzz.ts'
import type { Contact } from './krpc.ts'
import { Lookup } from './lookup.ts'
import type { LookupReply, LookupResult } from './lookup.ts'
import { compareDistance, idToHex, randomId } from './node-id.ts'

interface Asked {
  node: Contact
  slow: () => void
  done: (r: LookupReply | null) => void
}

function setup(seeds: Contact[], opts: { alpha?: number; maxQueries?: number } = {}) {
  const rnd = xorshift(8)
  const target = randomId(rnd)
  const asked: Asked[] = []
  let result: LookupResult | undefined
  const lookup = new Lookup(
    { ask: (node, slow, done) => asked.push({ node, slow, done }) },
    {
      target,
      k: 8,
      alpha: opts.alpha ?? 3,
      maxQueries: opts.maxQueries ?? 100,
      now: () => 0,
      onDone: (r) => (result = r),
    },
  )
  const sorted = [...seeds].sort((a, b) => compareDistance(target, a.id, b.id))
  lookup.start(seeds)
  return { target, asked, lookup, sorted, result: () => result }
}

const rnd = xorshift(31)
const contacts = (n: number): Contact[] =>
  Array.from({ length: n }, (_, i) => ({ id: randomId(rnd), host: `127.0.1.${i}`, port: 1 }))

describe('iterative lookup', () => {
  it('keeps alpha queries in flight, closest first', () => {
    const s = setup(contacts(12))
    expect(s.asked.map((a) => idToHex(a.node.id))).toEqual(s.sorted.slice(0, 3).map((c) => idToHex(c.id)))
    s.asked[0].done({ nodes: [] })
    expect(s.asked.length).toBe(4)
    expect(idToHex(s.asked[3].node.id)).toBe(idToHex(s.sorted[3].id))
  })

  it('a slow query widens the search without waiting for it; its late answer still counts', () => {
    const s = setup(contacts(12))
    expect(s.asked.length).toBe(3)
    s.asked[0].slow()
    expect(s.asked.length).toBe(4) // widened: the 4th closest is asked while the slow one is pending
    const late = [{ id: s.target.slice(), host: '127.0.2.1', port: 2 }]
    late[0].id[19] ^= 1 // nearly the target itself
    s.asked[0].done({ nodes: late })
    expect(s.asked.length).toBe(4) // alpha (3) are still in flight
    s.asked[1].done({ nodes: [] })
    // The node the late answer named is now the closest candidate, so it is asked next.
    expect(idToHex(s.asked[4].node.id)).toBe(idToHex(late[0].id))
  })

  it('ends when the k closest have answered, with the peers and tokens they gave', () => {
    const s = setup(contacts(20))
    for (let guard = 0; guard < 100 && !s.result(); guard++) {
      const next = s.asked.find((a) => !(a as { answered?: boolean }).answered)!
      ;(next as { answered?: boolean }).answered = true
      next.done({
        nodes: [],
        token: new Uint8Array([guard + 1]),
        values: guard === 0 ? [{ ip: '1.2.3.4', port: 5 }] : [],
      })
    }
    const r = s.result()!
    expect(r.closest.map((c) => idToHex(c.id))).toEqual(s.sorted.slice(0, 8).map((c) => idToHex(c.id)))
    expect(r.closest.every((c) => c.token)).toBe(true)
    expect(r.queries).toBe(8) // nothing beyond the 8 closest needed asking
    expect(r.peers).toEqual([{ ip: '1.2.3.4', port: 5 }])
  })

  it('failed nodes leave the window and the next closest are asked; maxQueries bounds it', () => {
    const s = setup(contacts(30), { maxQueries: 10 })
    for (let guard = 0; guard < 100 && !s.result(); guard++) {
      const open = s.asked.filter((a) => !(a as { settled?: boolean }).settled)
      if (!open.length) break
      ;(open[0] as { settled?: boolean }).settled = true
      open[0].done(null)
    }
    expect(s.asked.length).toBe(10)
    expect(s.result()!.closest).toEqual([])
  })
})
