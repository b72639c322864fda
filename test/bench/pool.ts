/**
 * bench:pool — adding and ranking 100,000 peers in one PeerPool, against a plain Map of the same
 * 100k entries built in the same run as a reference (machines are noisy: compare the ratio).
 * Usage: pnpm bench:pool [--rounds N]   (default 5 rounds; medians are printed)
 */
import { PeerPool } from '@tidepool/engine'

const N = 100_000
const roundsArg = process.argv.indexOf('--rounds')
const ROUNDS = Math.min(50, Math.max(1, roundsArg > 0 ? Number(process.argv[roundsArg + 1]) || 5 : 5))

const peers: Array<{ ip: string; port: number }> = []
for (let i = 0; i < N; i++) {
  // A mix of IPv4 and IPv6 peers, like a large swarm (1 in 8 IPv6).
  const ip =
    i % 8 === 7
      ? `2001:db8:${(i >> 16).toString(16)}::${(i & 0xffff).toString(16)}`
      : `${11 + (i % 200)}.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`
  peers.push({ ip, port: 6881 + (i % 50) })
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
// CPU time of this process as well as wall time: on a loaded machine wall time mostly measures
// the other processes.
const cpuTimes: Record<string, number[]> = {}
let lastCpuMs = 0
const time = (fn: () => void) => {
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  fn()
  const wall = performance.now() - t0
  const c = process.cpuUsage(c0)
  lastCpuMs = (c.user + c.system) / 1000
  return wall
}

const results: Record<string, number[]> = {}
const record = (k: string, ms: number) => {
  ;(results[k] ??= []).push(ms)
  ;(cpuTimes[k] ??= []).push(lastCpuMs)
}

for (let r = 0; r < ROUNDS; r++) {
  // Reference: a Map of 100k small records keyed by "ip:port".
  let map: Map<string, object> | null = new Map()
  record(
    'reference: Map.set of 100k records',
    time(() => {
      for (const p of peers)
        map!.set(`${p.ip}:${p.port}`, { ip: p.ip, port: p.port, state: 'discovered', failcount: 0, rank: 0 })
    }),
  )
  map = null

  let attempts = 0
  const pool = new PeerPool({
    config: { maxPeerlistSize: 0, maxActiveConnections: 25 },
    connect: () => attempts++,
    selfAddress: { ip: '203.0.113.7', port: 6881 },
  })
  record(
    'add 100k (parse, canonicalise, dedup, BEP 40, heap)',
    time(() => {
      for (const p of peers) pool.addPeer(p.ip, p.port, 'tracker')
    }),
  )
  if (pool.getStats().total !== N) throw new Error(`expected ${N} peers, got ${pool.getStats().total}`)
  record(
    're-add 100k duplicates (dedup only)',
    time(() => pool.addPeers(peers, 'dht')),
  )
  record(
    'candidates(50): best 50 of 100k',
    time(() => pool.candidates(50)),
  )
  record(
    'candidates(): all 100k ranked',
    time(() => pool.candidates()),
  )
  record(
    'connectToPeers(): fill 25 slots',
    time(() => pool.connectToPeers()),
  )
  if (attempts !== 25) throw new Error(`expected 25 attempts, got ${attempts}`)
  // Churn: 10k attempts that fail at once, each replaced by the next best candidate.
  const connecting = pool.allPeers().filter((x) => x.state === 'connecting')
  record(
    '10k connect+fail cycles',
    time(() => {
      for (const p of connecting) pool.onConnectFailed(p.ip, p.port, 'timeout')
      for (let i = 0; i < 10_000; i++) {
        const p = pool.connectOnePeer()
        if (!p) throw new Error('ran out of candidates')
        pool.onConnectFailed(p.ip, p.port, 'timeout')
      }
    }),
  )

  const capped = new PeerPool({ connect: () => {} }) // default list of 1000
  record(
    'add 100k into a default 1000-peer list',
    time(() => {
      for (const p of peers) capped.addPeer(p.ip, p.port, 'tracker')
    }),
  )
}

const refKey = 'reference: Map.set of 100k records'
const ref = median(results[refKey])
const refCpu = median(cpuTimes[refKey])
const { loadavg, cpus } = await import('node:os')
console.log(
  `bench:pool — ${N} peers, ${ROUNDS} rounds, medians; Node ${process.version}, ${cpus().length} cores, load ${loadavg()[0].toFixed(1)}`,
)
console.log(`${'step'.padEnd(52)} ${'wall ms'.padStart(9)} ${'cpu ms'.padStart(9)}   cpu vs reference`)
for (const [k, xs] of Object.entries(results)) {
  const m = median(xs)
  const c = median(cpuTimes[k])
  console.log(`${k.padEnd(52)} ${m.toFixed(1).padStart(9)} ${c.toFixed(1).padStart(9)}   ${(c / refCpu).toFixed(2)}x`)
}
void ref
