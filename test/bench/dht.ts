/**
 * bench:dht — get_peers lookups in a simulated DHT (in memory, simulated time; no sockets).
 * 10,000 nodes with converged routing tables, 50 ms one-way latency, 20% of nodes silent (still in
 * the tables, as nodes that left recently are). For each lookup a random node first announces a
 * random info-hash (a real announce: lookup + announce_peer), then another random node looks it up.
 * Prints median and p95 of queries sent per get_peers lookup, simulated time to the first peer and
 * to the end of the lookup (the closest 8 answered), and how many of the true 8 closest it found.
 * Exits 1 when the targets miss: median lookup under 3 s to the closest 8, and under 60 queries.
 * Usage: pnpm bench:dht [--nodes 10000] [--lookups 200] [--latency 50] [--silent 0.2] [--seed 1]
 *                       [--max-seconds 300]
 */
import { SimNetwork } from '../../packages/engine/src/dht/dht-sim.ts'
import { idToHex, randomId } from '../../packages/engine/src/dht/node-id.ts'
import type { LookupResult } from '../../packages/engine/src/dht/lookup.ts'
import { option } from './bench-args.ts'

const NODES = Math.min(50_000, Math.max(100, Number(option('nodes', '10000'))))
const LOOKUPS = Math.min(2000, Math.max(1, Number(option('lookups', '200'))))
const LATENCY = Number(option('latency', '50'))
const SILENT = Number(option('silent', '0.2'))
const SEED = Number(option('seed', '1'))
const MAX_SECONDS = Number(option('max-seconds', '300'))

const quantile = (xs: number[], q: number) => {
  if (!xs.length) return NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]
}
const cpuMs = () => {
  const c = process.cpuUsage()
  return (c.user + c.system) / 1000
}

const wall0 = performance.now()
const cpu0 = cpuMs()
const sim = new SimNetwork({ size: NODES, seed: SEED, latencyMs: LATENCY, unresponsive: SILENT })
sim.prefill()
const live = sim.nodes.filter((n) => n.responsive)
console.log(
  `${NODES} nodes (${live.length} responsive), tables filled in ${((performance.now() - wall0) / 1000).toFixed(1)} s`,
)

const queries: number[] = []
const toFirstPeer: number[] = []
const toClosest: number[] = []
let foundPeer = 0
let trueClosestFound = 0
let exactClosest = 0
let done = 0

for (let i = 0; i < LOOKUPS; i++) {
  if ((performance.now() - wall0) / 1000 > MAX_SECONDS) {
    console.log(`stopped after ${done} lookups: --max-seconds ${MAX_SECONDS} reached`)
    break
  }
  const infoHash = randomId(sim.rnd)
  const announcer = live[Math.floor(sim.rnd() * live.length)]
  let seeker = live[Math.floor(sim.rnd() * live.length)]
  if (seeker === announcer) seeker = live[(live.indexOf(announcer) + 1) % live.length]
  await sim.settle(announcer.node!.announce(infoHash, 6881), 60_000)

  let result: LookupResult | undefined
  seeker.node!.lookup('get_peers', infoHash, 4, (r) => (result = r))
  const end = sim.clock.now() + 60_000
  while (!result && sim.clock.now() < end) sim.clock.runUntil(sim.clock.now() + 100)
  if (!result) throw new Error('a lookup did not finish within 60 s of simulated time')
  // Let the lookup's stragglers (late answers, timeouts) run out before the next one starts.
  sim.clock.runUntil(sim.clock.now() + 6_000)

  done++
  queries.push(result.queries)
  toClosest.push(result.finishedAt - result.startedAt)
  if (result.firstPeerAt !== undefined && result.peers.some((p) => p.ip === announcer.host)) {
    foundPeer++
    toFirstPeer.push(result.firstPeerAt - result.startedAt)
  }
  const want = sim.trueClosest(infoHash, 8).map((n) => idToHex(n.id))
  const got = result.closest.map((c) => idToHex(c.id))
  trueClosestFound += got.filter((g) => want.includes(g)).length
  if (got.join() === want.join()) exactClosest++
}

const wallS = (performance.now() - wall0) / 1000
const cpuS = (cpuMs() - cpu0) / 1000
const med = (xs: number[]) => quantile(xs, 0.5)
const p95 = (xs: number[]) => quantile(xs, 0.95)
console.log(
  `\nbench:dht — ${NODES} nodes, ${LATENCY} ms one-way, ${(SILENT * 100).toFixed(0)}% silent, ${done} get_peers lookups (seed ${SEED})`,
)
console.log('| measure | median | p95 |')
console.log('|---|---|---|')
console.log(`| queries sent per get_peers lookup | ${med(queries)} | ${p95(queries)} |`)
console.log(`| time to the first peer (ms, simulated) | ${med(toFirstPeer)} | ${p95(toFirstPeer)} |`)
console.log(`| time to the closest 8 answered (ms, simulated) | ${med(toClosest)} | ${p95(toClosest)} |`)
console.log(
  `announced peer found: ${foundPeer}/${done}; true 8 closest found: ${((100 * trueClosestFound) / (8 * Math.max(1, done))).toFixed(1)}% of them, all 8 exactly in ${exactClosest}/${done} lookups`,
)
console.log(`datagrams simulated: ${sim.datagrams}; run time ${wallS.toFixed(1)} s wall, ${cpuS.toFixed(1)} s CPU`)

const ok = done === LOOKUPS && med(toClosest) < 3000 && med(queries) < 60
console.log(`targets (median < 3 s to the closest 8, < 60 queries): ${ok ? 'met' : 'MISSED'}`)
process.exit(ok ? 0 : 1)
