import { describe, expect, it } from 'vitest'
import { ManualClock } from '../util/clock.ts'
import { xorshift } from '../util/fuzz.ts'
import { commonPrefixBits, compareDistance, idToHex, randomId, randomIdWithPrefix } from './node-id.ts'
import type { NodeId } from './node-id.ts'
import { BUCKET_REFRESH_MS, GOOD_WINDOW_MS, RoutingTable } from './routing-table.ts'

const own = new Uint8Array(20) // all zero: bucket depth = leading zero bits of the other id
let port = 1000
const contact = (id: NodeId) => ({ id, host: '127.0.0.1', port: ++port })
/** An id sharing exactly `depth` bits with `own`, varied in its low bytes by `n`. */
function idAt(depth: number, n: number): NodeId {
  const id = randomIdWithPrefix(own, depth, xorshift(depth * 1000 + n + 1))
  return id
}

describe('routing table', () => {
  it('splits only the bucket around our own id', () => {
    const clock = new ManualClock()
    const t = new RoutingTable(own, () => clock.now())
    // 8 far nodes fill the single bucket; a 9th far one cannot split it further once depth 0 is apart.
    for (let n = 0; n < 8; n++) expect(t.responded(contact(idAt(0, n)))).toBe('added')
    expect(t.bucketCount).toBe(1)
    // A near node: the full bucket holding our id splits; the far nodes stay at depth 0.
    expect(t.responded(contact(idAt(5, 0)))).toBe('added')
    expect(t.bucketCount).toBe(2)
    // Depth 0 is full and no longer ours to split: the next far node goes to the replacement cache.
    expect(t.responded(contact(idAt(0, 99)))).toBe('replacement')
    expect(t.size).toBe(9)
    // Nodes near us keep splitting the last bucket: 8 at depths 1..8 and more at depth 20.
    for (let d = 1; d <= 8; d++) t.responded(contact(idAt(d, 0)))
    for (let n = 0; n < 8; n++) t.responded(contact(idAt(20, n)))
    expect(t.bucketCount).toBeGreaterThan(9)
    for (const node of t.nodes()) expect(commonPrefixBits(node.id, own)).toBeLessThan(160)
  })

  it('closest returns the true closest non-bad nodes in order', () => {
    const clock = new ManualClock()
    const rnd = xorshift(5)
    const t = new RoutingTable(randomId(rnd), () => clock.now())
    const ids: NodeId[] = []
    for (let i = 0; i < 300; i++) {
      const id = randomId(rnd)
      if (t.responded(contact(id)) === 'added') ids.push(id)
    }
    const target = randomId(rnd)
    const expected = [...t.nodes()]
      .sort((a, b) => compareDistance(target, a.id, b.id))
      .slice(0, 8)
      .map((n) => idToHex(n.id))
    expect(t.closest(target).map((n) => idToHex(n.id))).toEqual(expected)
    // A bad node is not offered.
    const first = t.closest(target)[0]
    t.failed(first.id)
    t.failed(first.id)
    expect(t.closest(target).map((n) => idToHex(n.id))).not.toContain(idToHex(first.id))
  })

  it('states: good, questionable after 15 idle minutes, good again by querying us, bad after failures', () => {
    const clock = new ManualClock()
    const t = new RoutingTable(own, () => clock.now())
    const c = contact(idAt(3, 1))
    t.responded(c)
    const n = t.get(c.id)!
    expect(t.stateOf(n)).toBe('good')
    clock.advance(GOOD_WINDOW_MS)
    expect(t.stateOf(n)).toBe('questionable')
    expect(t.questionable(10).map((x) => x.port)).toEqual([c.port])
    expect(t.queried(c)).toBe(true)
    expect(t.stateOf(n)).toBe('good')
    t.failed(c.id)
    expect(t.stateOf(n)).toBe('good')
    t.failed(c.id)
    expect(t.stateOf(n)).toBe('bad')
    // An answer clears the failures.
    t.responded(c)
    expect(t.stateOf(n)).toBe('good')
  })

  it('a bad node is replaced by the freshest node from the replacement cache', () => {
    const clock = new ManualClock()
    const t = new RoutingTable(own, () => clock.now())
    t.responded(contact(idAt(7, 0))) // keeps the last bucket split away from depth 0
    const far = Array.from({ length: 8 }, (_, n) => contact(idAt(0, n)))
    for (const c of far) t.responded(c)
    t.responded(contact(idAt(9, 0)))
    expect(t.bucketCount).toBeGreaterThan(1)
    const spare1 = contact(idAt(0, 50))
    const spare2 = contact(idAt(0, 51))
    expect(t.responded(spare1)).toBe('replacement')
    clock.advance(1000)
    expect(t.responded(spare2)).toBe('replacement')
    expect(t.has(spare2.id)).toBe(false)
    t.failed(far[3].id)
    expect(t.has(far[3].id)).toBe(true) // one failure: questionable, still there
    t.failed(far[3].id)
    expect(t.has(far[3].id)).toBe(false)
    expect(t.has(spare2.id)).toBe(true) // most recent replacement first
    expect(t.has(spare1.id)).toBe(false)
  })

  it('a new responder takes the place of a bad node when no replacement is cached', () => {
    const clock = new ManualClock()
    const t = new RoutingTable(own, () => clock.now())
    t.responded(contact(idAt(7, 0)))
    const far = Array.from({ length: 8 }, (_, n) => contact(idAt(0, n)))
    for (const c of far) t.responded(c)
    t.responded(contact(idAt(9, 0)))
    t.failed(far[0].id)
    t.failed(far[0].id)
    expect(t.has(far[0].id)).toBe(true) // bad, kept until something better comes
    const fresh = contact(idAt(0, 77))
    expect(t.responded(fresh)).toBe('added')
    expect(t.has(far[0].id)).toBe(false)
  })

  it('a known id at another address is ignored while the known node is not bad', () => {
    const clock = new ManualClock()
    const t = new RoutingTable(own, () => clock.now())
    const c = contact(idAt(2, 0))
    t.responded(c)
    expect(t.responded({ ...c, port: 9 })).toBe('ignored')
    expect(t.get(c.id)!.port).toBe(c.port)
    expect(t.queried({ ...c, port: 9 })).toBe(false)
  })

  it('refresh returns a target inside each bucket idle for 15 minutes, once', () => {
    const clock = new ManualClock()
    const rnd = xorshift(11)
    const t = new RoutingTable(own, () => clock.now())
    for (let i = 0; i < 40; i++) t.responded(contact(randomId(rnd)))
    expect(t.refreshTargets(rnd)).toEqual([])
    clock.advance(BUCKET_REFRESH_MS)
    const targets = t.refreshTargets(rnd)
    expect(targets.length).toBe(t.bucketCount)
    targets.forEach((target, i) => {
      const depth = commonPrefixBits(target, own)
      if (i < t.bucketCount - 1) expect(depth).toBe(i)
      else expect(depth).toBeGreaterThanOrEqual(i)
    })
    expect(t.refreshTargets(rnd)).toEqual([])
    // A lookup in one bucket counts as its refresh.
    clock.advance(BUCKET_REFRESH_MS)
    t.touch(targets[0])
    expect(t.refreshTargets(rnd).length).toBe(t.bucketCount - 1)
  })

  it('saves ids and addresses and restores them as questionable nodes', () => {
    const clock = new ManualClock()
    const rnd = xorshift(12)
    const t = new RoutingTable(own, () => clock.now())
    for (let i = 0; i < 50; i++) t.responded(contact(randomId(rnd)))
    const saved = JSON.parse(JSON.stringify(t.save()))
    expect(saved.length).toBe(t.size)
    const u = new RoutingTable(own, () => clock.now())
    expect(u.restore([...saved, { id: 'zz', host: 'x', port: 1 }, { id: saved[0].id, host: 'y', port: 70000 }])).toBe(
      saved.length,
    )
    expect(u.save()).toEqual(expect.arrayContaining(saved))
    for (const n of u.nodes()) expect(u.stateOf(n)).toBe('questionable')
    // A restored node that fails to answer is dropped.
    const first = u.nodes()[0]
    u.failed(first.id)
    u.failed(first.id)
    expect(u.has(first.id)).toBe(false)
  })
})
