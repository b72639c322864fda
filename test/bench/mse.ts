/**
 * bench:mse — what Message Stream Encryption costs in the engine's own JS (packages/engine/src/mse), on
 * one core: RC4 MiB/s over 16 KiB and 1 MiB buffers against a plain copy of the same buffers, and the
 * CPU of one DH handshake per side (key pair + shared secret + the handshake's SHA-1s and RC4 set-up),
 * measured as whole handshakes between two of our machines in memory. For comparison, OpenSSL's RC4
 * through node:crypto, which Node only offers with --openssl-legacy-provider (a child process).
 * Every loop is bounded in count and time.
 * Usage: pnpm bench:mse [--mib 256] [--repeat 5] [--handshakes 200] [--max-seconds 120]
 */
import { spawnSync } from 'node:child_process'
import { CRYPTO_RC4, MseInitiator, MseReceiver, createSkeyLookup, mseRc4 } from '../../packages/engine/src/mse/index.ts'
import { generateKeyPair, sharedSecret } from '../../packages/engine/src/mse/dh.ts'
import { MiB, option } from './bench-args.ts'

const TOTAL_MIB = Math.min(4096, Math.max(16, Number(option('mib', '256'))))
const REPEAT = Math.min(50, Math.max(1, Number(option('repeat', '5'))))
const HANDSHAKES = Math.min(5000, Math.max(10, Number(option('handshakes', '200'))))
const MAX_SECONDS = Number(option('max-seconds', '120'))
const deadline = performance.now() + MAX_SECONDS * 1000

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const spread = (xs: number[]) => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`
const cpuMs = () => {
  const c = process.cpuUsage()
  return (c.user + c.system) / 1000
}

/** MiB/s of `work` over TOTAL_MIB in buffers of `size`, REPEAT times (CPU time, one thread). */
function rate(size: number, work: (buf: Uint8Array, out: Uint8Array) => void): number[] {
  const buf = new Uint8Array(size).map((_, i) => i * 31)
  const out = new Uint8Array(size)
  const rounds = Math.max(1, Math.floor((TOTAL_MIB * MiB) / size))
  for (let i = 0; i < Math.min(rounds, 64); i++) work(buf, out) // warm-up
  const rates: number[] = []
  for (let r = 0; r < REPEAT && performance.now() < deadline; r++) {
    const c0 = cpuMs()
    for (let i = 0; i < rounds; i++) work(buf, out)
    rates.push((rounds * size) / MiB / ((cpuMs() - c0) / 1000))
  }
  return rates
}

console.log(`bench:mse — ${TOTAL_MIB} MiB per run, ${REPEAT} runs, CPU time of this thread (Node ${process.version})`)
console.log('| buffer | plain copy MiB/s | RC4 (engine JS) MiB/s | RC4 CPU-s per GiB |')
console.log('|---|---|---|---|')
const rc4Medians: Record<string, number> = {}
for (const size of [16 * 1024, MiB]) {
  const copy = rate(size, (buf, out) => out.set(buf))
  const rc4 = mseRc4(new Uint8Array(20).fill(7))
  // in place, as a connection uses it (the word-at-a-time path); into another buffer byte by byte
  const enc = rate(size, (buf) => {
    rc4.process(buf)
  })
  const encOut = rate(size, (buf, out) => {
    rc4.process(buf, out)
  })
  const label = size === MiB ? '1 MiB' : '16 KiB'
  rc4Medians[label] = median(enc)
  console.log(
    `| ${label} | ${median(copy).toFixed(0)} (${spread(copy)}) | ${median(enc).toFixed(0)} (${spread(enc)}) in place; ${median(encOut).toFixed(0)} into another buffer | ${(1024 / median(enc)).toFixed(2)} |`,
  )
}

// OpenSSL's RC4 in a child: Node 20's OpenSSL 3 keeps RC4 in the legacy provider.
const child = spawnSync(
  process.execPath,
  [
    '--openssl-legacy-provider',
    '-e',
    `
  const c = require('node:crypto'); const buf = Buffer.alloc(${MiB}, 7); const rounds = ${Math.min(TOTAL_MIB, 1024)}
  const rates = []
  for (let r = 0; r < ${REPEAT}; r++) {
    const x = c.createCipheriv('rc4', Buffer.alloc(20, 7), null); x.update(buf)
    const t0 = process.cpuUsage(); for (let i = 0; i < rounds; i++) x.update(buf)
    const t = process.cpuUsage(t0); rates.push(rounds / ((t.user + t.system) / 1e6))
  }
  console.log(JSON.stringify(rates))`,
  ],
  { encoding: 'utf8', timeout: 60_000 },
)
if (child.status === 0) {
  const rates = JSON.parse(child.stdout) as number[]
  console.log(
    `| 1 MiB | | OpenSSL RC4 (node:crypto, legacy provider): ${median(rates).toFixed(0)} (${spread(rates)}) | ${(1024 / median(rates)).toFixed(2)} |`,
  )
} else {
  console.log(`(OpenSSL RC4 not measured: ${child.stderr.split('\n')[0]})`)
}

// DH alone, then whole handshakes between two of our machines (both sides' CPU in this thread).
const keyMs: number[] = []
const secretMs: number[] = []
for (let i = 0; i < HANDSHAKES && performance.now() < deadline; i++) {
  const t0 = performance.now()
  const a = generateKeyPair()
  const t1 = performance.now()
  const b = generateKeyPair()
  sharedSecret(a.privateKey, b.publicKey)
  secretMs.push(performance.now() - t1 - (t1 - t0)) // the shared secret alone, roughly
  keyMs.push(t1 - t0)
}
const infoHash = new Uint8Array(20).fill(3)
const lookup = createSkeyLookup([infoHash])
const handshakeMs: number[] = []
const c0 = cpuMs()
let done = 0
for (let i = 0; i < HANDSHAKES && performance.now() < deadline; i++) {
  const t0 = performance.now()
  const a = new MseInitiator({ infoHash, provide: CRYPTO_RC4, initialPayload: new Uint8Array(68) })
  const b = new MseReceiver({ lookup, allowed: CRYPTO_RC4 })
  const s2 = b.push(a.start())
  const s3 = a.push(s2.send!)
  const s4 = b.push(s3.send!)
  const s5 = a.push(s4.send!)
  if (s4.state !== 'done' || s5.state !== 'done') throw new Error('handshake did not complete')
  handshakeMs.push(performance.now() - t0)
  done++
}
const cpuPerPair = (cpuMs() - c0) / done
console.log('')
console.log(`| DH / handshake (${done} runs) | median ms | p95 ms |`)
console.log('|---|---|---|')
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)]!
console.log(`| key pair (2^X mod P, 160-bit X) | ${median(keyMs).toFixed(2)} | ${p95(keyMs).toFixed(2)} |`)
console.log(`| shared secret (Y^X mod P) | ${median(secretMs).toFixed(2)} | ${p95(secretMs).toFixed(2)} |`)
console.log(
  `| whole handshake, both sides, wall | ${median(handshakeMs).toFixed(2)} | ${p95(handshakeMs).toFixed(2)} |`,
)
console.log(
  `CPU per handshake pair: ${cpuPerPair.toFixed(2)} ms (so about ${(cpuPerPair / 2).toFixed(2)} ms per side, ` +
    `${Math.floor(1000 / (cpuPerPair / 2))} connections/s on one core)`,
)
console.log(
  `Decrypting a 1 GiB download in this JS: ~${(1024 / rc4Medians['1 MiB']!).toFixed(1)} CPU-s (its requests going out cost ~1% of that)`,
)
