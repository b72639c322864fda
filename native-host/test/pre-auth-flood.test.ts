// A local process without the token must not be able to keep our clients out of the daemon by
// holding unauthenticated WebSocket upgrades open (docs/daemon-protocol.md §11).
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { Op } from '@tidepool/daemon-bridge'
import { connectBridgeNode } from '@tidepool/daemon-bridge/node'
import { startDaemon, type RunningDaemon } from '../src/index.ts'
import { TOKEN, until } from './helpers.ts'

const FLOOD = fileURLToPath(new URL('./fixtures/upgrade-flood.mjs', import.meta.url))
const EXTENSION = 'chrome-extension://abcdefghijklmnopabcdefghijklmnop'
const ATTEMPTS = 20
/** Each attempt must be in (upgrade, hello, reply) within this; the flood never stops meanwhile. */
const ATTEMPT_LIMIT_MS = 1000

interface FloodCounts {
  attempts: number
  upgraded: number
  refused: number
  open: number
}

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch((e) => console.error('cleanup failed', e))
})

async function daemonWith(opts: { allowNoOrigin: boolean }): Promise<RunningDaemon> {
  const dir = await mkdtemp(join(tmpdir(), 'tp-flood-'))
  const d = await startDaemon({
    token: TOKEN,
    roots: { r: dir },
    allowOrigins: [EXTENSION],
    allowNoOrigin: opts.allowNoOrigin,
  })
  cleanups.push(async () => {
    await d.close()
    await rm(dir, { recursive: true, force: true })
  })
  return d
}

/** Starts the flooder (a separate process, as an attacker would be) and follows its counts. */
function flood(port: number, count: number, mode: 'upgrade' | 'idle', origin?: string): { latest: () => FloodCounts } {
  const args = [FLOOD, String(port), String(count), '60', mode, ...(origin ? [origin] : [])]
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] })
  let latest: FloodCounts = { attempts: 0, upgraded: 0, refused: 0, open: 0 }
  let buf = ''
  child.stdout!.on('data', (b: Buffer) => {
    buf += b.toString()
    const lines = buf.split('\n')
    buf = lines.pop()!
    if (lines.length) latest = JSON.parse(lines[lines.length - 1]!) as FloodCounts
  })
  cleanups.push(async () => {
    if (child.exitCode !== null) return
    const exited = new Promise((r) => child.once('exit', r))
    child.stdin!.end() // the flooder's stop signal
    const t = setTimeout(() => child.kill('SIGKILL'), 2000)
    await exited
    clearTimeout(t)
  })
  return { latest: () => latest }
}

/** Connects a real client `ATTEMPTS` times while the flood goes on; returns each attempt's time. */
async function connectRepeatedly(d: RunningDaemon, origin?: string): Promise<number[]> {
  const times: number[] = []
  for (let i = 0; i < ATTEMPTS; i++) {
    const t0 = performance.now()
    const c = await connectBridgeNode({ url: d.url, token: TOKEN, origin, timeoutMs: 5000 }).catch((e: Error) => {
      throw new Error(`attempt ${i + 1} of ${ATTEMPTS} was kept out: ${e.message}`)
    })
    await c.request(Op.ping, {})
    const ms = performance.now() - t0
    c.close()
    times.push(ms)
    expect(ms, `attempt ${i + 1}`).toBeLessThan(ATTEMPT_LIMIT_MS)
    await new Promise((r) => setTimeout(r, 20)) // let the flood refill the slot the client held
  }
  return times
}

async function floodAndConnect(opts: { allowNoOrigin: boolean; origin?: string }): Promise<void> {
  const d = await daemonWith(opts)
  // More flooders than unauthenticated slots: the cap is always full and freed slots are refilled at once.
  const count = d.caps.maxPreAuthSessions + 32
  const f = flood(d.port, count, 'upgrade', opts.origin)
  await until(() => d.stats().preAuthSessions >= d.caps.maxPreAuthSessions && f.latest().attempts > count, 10_000)
  const before = f.latest()
  const times = await connectRepeatedly(d, opts.origin)
  const after = f.latest()
  // The flood really went on while the client connected: its sockets kept being answered (evicted
  // ones reopened) and the unauthenticated slots stayed full.
  expect(after.attempts - before.attempts).toBeGreaterThan(ATTEMPTS)
  expect(after.upgraded).toBeGreaterThan(d.caps.maxPreAuthSessions)
  expect(d.stats().preAuthSessions).toBeGreaterThanOrEqual(d.caps.maxPreAuthSessions - 2)
  const sorted = [...times].sort((a, b) => a - b)
  console.log(
    `flood of ${count} (${opts.origin ? 'extension Origin' : 'no Origin'}): ${ATTEMPTS} connects, ms median ${sorted[ATTEMPTS >> 1]!.toFixed(1)} max ${sorted[ATTEMPTS - 1]!.toFixed(1)};` +
      ` flooder attempts ${after.attempts - before.attempts}, evicted ${d.stats().preAuthEvicted}`,
  )
}

describe('a flood of unauthenticated upgrades', () => {
  it('never keeps a client with the token out (flood without Origin, daemon allows origin-less clients)', {
    timeout: 60_000,
  }, async () => {
    await floodAndConnect({ allowNoOrigin: true })
  })

  it("never keeps a client with the token out (flood with the extension's Origin, daemon refuses origin-less clients)", {
    timeout: 60_000,
  }, async () => {
    await floodAndConnect({ allowNoOrigin: false, origin: EXTENSION })
  })

  it('nor does a flood of TCP connections that never send their upgrade request', { timeout: 60_000 }, async () => {
    const d = await daemonWith({ allowNoOrigin: true })
    const count = d.caps.maxPendingHttp + 32
    const f = flood(d.port, count, 'idle')
    await until(() => d.stats().acceptsRefused > count, 10_000)
    const before = { flood: f.latest(), dropped: d.stats().acceptsRefused }
    const times = await connectRepeatedly(d)
    // The flood went on throughout: idle connections kept being dropped for newer ones and reopened.
    expect(f.latest().attempts - before.flood.attempts).toBeGreaterThan(ATTEMPTS)
    expect(d.stats().acceptsRefused - before.dropped).toBeGreaterThan(ATTEMPTS)
    const sorted = [...times].sort((a, b) => a - b)
    console.log(
      `idle flood of ${count}: ${ATTEMPTS} connects, ms median ${sorted[ATTEMPTS >> 1]!.toFixed(1)} max ${sorted[ATTEMPTS - 1]!.toFixed(1)};` +
        ` flooder attempts ${f.latest().attempts - before.flood.attempts}, idle connections dropped ${d.stats().acceptsRefused - before.dropped}`,
    )
  })
})
