import { describe, expect, it } from 'vitest'
import { xorshift } from '../util/fuzz.ts'
import { SimNetwork } from './dht-sim.ts'
import { decodeKrpc, encodeResponse } from './krpc.ts'
import { idToHex, randomId } from './node-id.ts'

describe('simulated DHT network', () => {
  it('1,000 nodes join through one bootstrap node; a peer announced by one node is found by another, and the lookup finds the true 8 closest', async () => {
    // Per-link latency between 10 and 150 ms, fixed for each pair.
    const sim = new SimNetwork({ size: 1000, seed: 2024, latencyMs: (a, b) => 10 + ((a * 7919 + b * 104729) % 141) })
    const nodes = sim.nodes.map((n) => n.node!)
    // Every node joins through node 0, one every 20 ms of simulated time.
    const joined: Promise<number>[] = []
    for (let i = 1; i < nodes.length; i++) {
      sim.clock.setTimeout(
        () => joined.push(nodes[i].bootstrap([{ host: sim.nodes[0].host, port: sim.nodes[0].port }])),
        i * 20,
      )
    }
    sim.clock.runUntil(nodes.length * 20)
    const sizes = await sim.settle(Promise.all(joined), 60_000)
    expect(joined.length).toBe(999)
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(8)

    // Then 10% of the nodes go silent.
    const rnd = xorshift(5)
    for (let i = 2; i < nodes.length; i++) if (rnd() < 0.1) sim.silence(i)
    const live = sim.nodes.filter((n) => n.responsive)
    const announcer = live[10]
    const seeker = live[live.length - 10]
    const infoHash = randomId(rnd)

    const announced = await sim.settle(announcer.node!.announce(infoHash, 51413), 60_000)
    expect(announced.announcedTo).toBeGreaterThanOrEqual(6)

    const found = await sim.settle(seeker.node!.getPeers(infoHash), 60_000)
    expect(found.peers).toContainEqual({ ip: announcer.host, port: 51413 })
    const closest = found.lookups[0].closest.map((c) => idToHex(c.id))
    expect(closest).toEqual(sim.trueClosest(infoHash, 8).map((n) => idToHex(n.id)))
    expect(found.lookups[0].queries).toBeLessThan(100)
  }, 120_000) // about 3 s of CPU; more wall time on a loaded machine

  it('a node restarted from its saved state rejoins through its saved nodes alone and finds peers', async () => {
    const sim = new SimNetwork({ size: 300, seed: 7, latencyMs: 40 })
    sim.prefill()
    const rnd = xorshift(9)
    const old = sim.nodes[17]
    const saved = JSON.parse(JSON.stringify(old.node!.save()))
    old.node!.close()
    sim.silence(old.index)
    const infoHash = randomId(rnd)
    await sim.settle(sim.nodes[100].node!.announce(infoHash, 4000), 30_000)

    // Same id, new address, no bootstrap nodes: only what it saved.
    const again = sim.addNode({ saved })
    expect(idToHex(again.id)).toBe(saved.id)
    expect(again.node!.nodeCount).toBe(saved.nodes.length)
    const size = await sim.settle(again.node!.bootstrap([]), 30_000)
    expect(size).toBeGreaterThanOrEqual(saved.nodes.length)
    const found = await sim.settle(again.node!.getPeers(infoHash), 30_000)
    expect(found.peers).toContainEqual({ ip: sim.nodes[100].host, port: 4000 })
  })

  it('a prefilled 2,000-node network with 20% silent nodes still in the tables: lookups find nearly all of the true 8 closest', () => {
    const sim = new SimNetwork({ size: 2000, seed: 99, latencyMs: 50, unresponsive: 0.2 })
    sim.prefill()
    const rnd = xorshift(6)
    const live = sim.nodes.filter((n) => n.responsive)
    let found = 0
    const lookups = 20
    for (let i = 0; i < lookups; i++) {
      const target = randomId(rnd)
      let result: { closest: Array<{ id: Uint8Array }> } | undefined
      live[Math.floor(rnd() * live.length)].node!.lookup('find_node', target, 4, (r) => (result = r))
      sim.clock.runUntil(sim.clock.now() + 30_000)
      expect(result).toBeDefined()
      const want = new Set(sim.trueClosest(target, 8).map((n) => idToHex(n.id)))
      found += result!.closest.filter((c) => want.has(idToHex(c.id))).length
      // The closest one is always found.
      expect(idToHex(result!.closest[0].id)).toBe(idToHex(sim.trueClosest(target, 1)[0].id))
    }
    // Silent nodes look good in the tables until they fail queries, so an answer's 8 closest can be
    // partly silent and the 8th true closest is sometimes named by nobody: at least 90% are found.
    expect(found / (8 * lookups)).toBeGreaterThanOrEqual(0.9)
  })

  it('BEP 42: our external address is what several distinct nodes agree on, not what the last reply said', async () => {
    const sim = new SimNetwork({ size: 40, seed: 42, latencyMs: 20 })
    sim.prefill()
    const me = sim.nodes[0]
    const node = me.node!
    const FORGED = '198.51.100.77'
    // Nodes 1 to 3 (one host each) report a forged address for whoever they answer.
    const forge = (bytes: Uint8Array) => {
      const r = decodeKrpc(bytes)
      if (!r.ok || r.message.kind !== 'response') return bytes
      return encodeResponse({ ...r.message, ip: { ip: FORGED, port: 1 } })
    }
    for (const i of [1, 2, 3]) sim.tamper(i, forge)
    const ping = (i: number) => sim.settle(node.ping(sim.nodes[i].host, sim.nodes[i].port), 10_000)

    // One liar answering many times, then a second: still not believed (the last reply alone was).
    for (let n = 0; n < 5; n++) expect(await ping(1)).not.toBeNull()
    await ping(2)
    expect(node.externalAddress).toBeUndefined()
    expect(node.save().ip).toBeUndefined()
    // A third distinct node naming it makes it the vote's winner.
    await ping(3)
    expect(node.externalAddress?.ip).toBe(FORGED)

    // Honest nodes name our true address: as many as the liars is a tie, one more wins.
    for (const i of [10, 11, 12]) await ping(i)
    expect(node.externalAddress?.ip).toBe(FORGED)
    await ping(13)
    expect(node.externalAddress).toEqual({ ip: me.host, port: me.port })
    // A liar answering again changes nothing; the saved address is the one the next start derives its id
    // from (secureIdFor; loopback addresses like these are exempt from BEP 42).
    await ping(1)
    expect(node.externalAddress?.ip).toBe(me.host)
    expect(node.save().ip).toBe(me.host)
  })
})
