// Regression tests for the daemon security review (/tmp/review findings 3, 2, 6, 7, 8, 10, 11, 12).
import dgram from 'node:dgram'
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { execFileSync } from 'node:child_process'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { CloseCode, encodeFrame, Kind, Op } from '@tidepool/daemon-bridge'
import { RawConn } from '../../packages/daemon-bridge/src/conformance/raw-conn.ts'
import { loadOrCreateToken, startDaemon, type RunningDaemon } from '../src/index.ts'
import type { DaemonCaps } from '../src/daemon/handle-caps.ts'
import { TOKEN } from './helpers.ts'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  // A cleanup may meet what its test already closed (a daemon that dropped the connection); the test's
  // own assertions are the result, so a failing cleanup must not stop the others.
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined)
})

async function daemon(
  caps?: Partial<DaemonCaps>,
  limits?: { maxFrameBytes?: number },
): Promise<{ d: RunningDaemon; dir: string }> {
  const base = await mkdtemp(join(tmpdir(), 'tp-sec-'))
  const dir = join(base, 'root')
  await mkdir(dir)
  const d = await startDaemon({ token: TOKEN, roots: { r: dir }, caps, limits })
  cleanups.push(async () => {
    await d.close()
    await rm(base, { recursive: true, force: true })
  })
  return { d, dir }
}

async function authed(d: RunningDaemon): Promise<RawConn> {
  const c = await RawConn.open(d.url)
  cleanups.push(async () => c.close())
  const h = await c.hello(TOKEN)
  expect(h?.kind).toBe(Kind.REPLY)
  return c
}

/** Polls a condition every 10 ms, at most `ms`. */
async function poll(cond: () => boolean, ms = 3000): Promise<boolean> {
  for (let i = 0; i < ms / 10 && !cond(); i++) await new Promise((r) => setTimeout(r, 10))
  return cond()
}

let nextId = 100
async function req(c: RawConn, op: number, meta: object, payload?: Uint8Array) {
  const id = nextId++
  c.request(id, op, meta, payload)
  const f = await c.reply(id)
  if (!f) throw new Error(`no reply to op ${op}`)
  return { ok: f.kind === Kind.REPLY, meta: f.meta as Record<string, unknown>, payload: f.payload }
}

describe('daemon security', () => {
  it('a UDP DATA frame to port 0 (or a bad address) does not crash the daemon; the socket keeps working', async () => {
    const { d } = await daemon()
    const c = await authed(d)
    const u = await req(c, Op.udpBind, { host: '127.0.0.1', port: 0 })
    const handle = u.meta.handle as number
    const sink = dgram.createSocket('udp4')
    cleanups.push(async () => void sink.close())
    await new Promise<void>((r) => sink.bind(0, '127.0.0.1', r))
    const got = new Promise<string>((r) => sink.once('message', (m) => r(m.toString())))
    c.send(encodeFrame(Kind.DATA, handle, 0, { address: '127.0.0.1', port: 0 }, new Uint8Array([1])))
    c.send(encodeFrame(Kind.DATA, handle, 0, { address: '::1', port: 9 }, new Uint8Array([1]))) // wrong family
    c.send(
      encodeFrame(Kind.DATA, handle, 0, { address: '127.0.0.1', port: sink.address().port }, Buffer.from('still here')),
    )
    expect(await got).toBe('still here')
    expect((await req(c, Op.ping, {})).ok).toBe(true)
  })

  it('caps open files, UDP sockets and listeners per client with busy; the hello reply announces the caps', async () => {
    const { d } = await daemon({ maxFilesPerClient: 2, maxUdpPerClient: 1, maxListenersPerClient: 1 })
    const c = await RawConn.open(d.url)
    cleanups.push(async () => c.close())
    const h = await c.hello(TOKEN)
    expect(h?.meta).toMatchObject({
      limits: { maxFilesPerClient: 2, maxUdpPerClient: 1, maxListenersPerClient: 1, maxRequestsInFlight: 256 },
    })
    const open = (name: string) => req(c, Op.fileOpen, { root: 'r', path: name, create: true })
    const a = await open('a')
    expect((await open('b')).ok).toBe(true)
    expect((await open('c')).meta).toMatchObject({ code: 'busy' })
    await req(c, Op.fileClose, { handle: a.meta.handle })
    expect((await open('c')).ok).toBe(true)
    expect((await req(c, Op.udpBind, { host: '127.0.0.1' })).ok).toBe(true)
    expect((await req(c, Op.udpBind, { host: '127.0.0.1' })).meta).toMatchObject({ code: 'busy' })
    expect((await req(c, Op.tcpListen, { host: '127.0.0.1', port: 0 })).ok).toBe(true)
    expect((await req(c, Op.tcpListen, { host: '127.0.0.1', port: 0 })).meta).toMatchObject({ code: 'busy' })
    expect(d.stats().capBusy).toBe(3)
  })

  it('closes incoming sockets over the per-listener and total socket caps at once and counts them', async () => {
    const { d } = await daemon({ maxAcceptedPerListener: 3, maxSockets: 100 })
    const c = await authed(d)
    const l = await req(c, Op.tcpListen, { host: '127.0.0.1', port: 0 })
    const port = l.meta.port as number
    const socks: net.Socket[] = []
    cleanups.push(async () => socks.forEach((s) => s.destroy()))
    const closed: boolean[] = []
    for (let i = 0; i < 6; i++) {
      const s = net.connect(port, '127.0.0.1')
      s.on('error', () => {})
      const idx = i
      closed[idx] = false
      s.on('close', () => (closed[idx] = true))
      socks.push(s)
    }
    const ok = await poll(() => d.stats().acceptsRefused === 3 && closed.filter(Boolean).length === 3)
    expect(ok).toBe(true)
    expect(d.stats().sockets).toBe(3)
    // A slot freed by the client (tcp.close of an accepted handle) is reusable.
    const accepted = c.frames.filter((f) => f.kind === Kind.EVENT && f.id === l.meta.handle)
    expect(accepted).toHaveLength(3)
    await req(c, Op.tcpClose, { handle: (accepted[0]!.meta as { handle: number }).handle })
    expect(await poll(() => d.stats().sockets === 2)).toBe(true)
    const s = net.connect(port, '127.0.0.1')
    s.on('error', () => {})
    socks.push(s)
    expect(await poll(() => d.stats().sockets === 3)).toBe(true)
    expect(d.stats().acceptsRefused).toBe(3)
  })

  it('answers busy beyond the requests-in-flight cap instead of queueing without bound', async () => {
    const { d, dir } = await daemon({ maxRequestsInFlight: 2 })
    await writeFile(join(dir, 'big'), Buffer.alloc(8 << 20, 7))
    const c = await authed(d)
    const ids: number[] = []
    for (let i = 0; i < 12; i++) {
      const id = nextId++
      ids.push(id)
      c.request(id, Op.fsSha1, { root: 'r', path: 'big', offset: 0, length: 8 << 20 })
    }
    const replies = await Promise.all(ids.map((id) => c.reply(id, 10_000)))
    const busy = replies.filter((f) => f?.kind === Kind.ERROR && (f.meta as { code?: string }).code === 'busy').length
    const ok = replies.filter((f) => f?.kind === Kind.REPLY).length
    expect(ok).toBeGreaterThanOrEqual(2)
    expect(busy).toBeGreaterThanOrEqual(1)
    expect(ok + busy).toBe(12)
  })

  it('admits pipelined file reads by bytes: far beyond the read budget they answer busy', async () => {
    const { d, dir } = await daemon()
    await writeFile(join(dir, 'big'), Buffer.alloc(2 << 20, 1))
    const c = await authed(d)
    const o = await req(c, Op.fileOpen, { root: 'r', path: 'big' })
    const ids: number[] = []
    for (let i = 0; i < 40; i++) {
      const id = nextId++
      ids.push(id)
      c.request(id, Op.fileRead, { handle: o.meta.handle, offset: 0, length: 2 << 20 })
    }
    const replies = await Promise.all(ids.map((id) => c.reply(id, 10_000)))
    const busy = replies.filter((f) => f?.kind === Kind.ERROR && (f.meta as { code?: string }).code === 'busy').length
    expect(busy).toBeGreaterThanOrEqual(40 - 16) // at most 32 MiB of 2 MiB reads admitted at once
    expect(replies.filter((f) => f?.kind === Kind.REPLY).length).toBeGreaterThanOrEqual(1)
  })

  it('closes the oldest idle TCP connections that never upgrade, so a real client still gets in', async () => {
    const { d } = await daemon({ maxPendingHttp: 3 })
    const port = Number(new URL(d.url).port)
    const idle: net.Socket[] = []
    const closed = new Set<number>()
    cleanups.push(async () => idle.forEach((s) => s.destroy()))
    for (let i = 0; i < 6; i++) {
      const s = net.connect(port, '127.0.0.1')
      s.on('error', () => {})
      s.on('close', () => closed.add(i))
      idle.push(s)
      await new Promise((r) => s.once('connect', r))
    }
    expect(await poll(() => closed.size === 3)).toBe(true)
    expect([...closed].sort()).toEqual([0, 1, 2])
    const c = await authed(d) // evicts one more idle connection, the client itself is served
    expect((await req(c, Op.ping, {})).ok).toBe(true)
  })

  it('drops the oldest unauthenticated connection to admit a new upgrade; refuses large frames before hello', async () => {
    const { d } = await daemon({ maxPreAuthSessions: 2 })
    const a = await RawConn.open(d.url)
    const b = await RawConn.open(d.url)
    cleanups.push(async () => (a.close(), b.close()))
    expect(d.stats().preAuthSessions).toBe(2)
    const c = await RawConn.open(d.url) // the pool is full: a, the oldest, gives way
    cleanups.push(async () => c.close())
    expect(await a.until(() => a.closeCode !== null, 3000)).toBe(true)
    expect(b.closeCode).toBe(null)
    expect(d.stats()).toMatchObject({ preAuthSessions: 2, preAuthEvicted: 1 })
    expect((await b.hello(TOKEN))?.kind).toBe(Kind.REPLY) // authenticated: no longer counts, never evicted
    expect(d.stats().preAuthSessions).toBe(1)
    const e = await RawConn.open(d.url)
    const f = await RawConn.open(d.url)
    cleanups.push(async () => (e.close(), f.close()))
    expect(await c.until(() => c.closeCode !== null, 3000)).toBe(true)
    expect((await req(b, Op.ping, {})).ok).toBe(true)
    expect(d.stats()).toMatchObject({ preAuthSessions: 2, preAuthEvicted: 2 })
    e.send(encodeFrame(Kind.REQUEST, 1, Op.hello, { token: TOKEN, protocol: 1, pad: 'x'.repeat(8000) }))
    expect(await e.until(() => e.closeCode !== null, 3000)).toBe(true)
    expect(e.closeCode).toBe(CloseCode.auth)
  })

  it('drops a connection that streams a large message before hello, before the message is complete', async () => {
    const { d } = await daemon()
    const c = await RawConn.open(d.url)
    cleanups.push(async () => c.close())
    // The first 64 KiB of a 4 MiB message (under maxFrameBytes, so ws alone would wait for all of it).
    c.ws.send(new Uint8Array(64 * 1024), { fin: false })
    expect(await c.until(() => c.closeCode !== null, 3000)).toBe(true)
    expect(d.stats().preAuthSessions).toBe(0)
  })

  it('ends a refused connection that never answers the close frame within seconds, not the 30 s of ws', async () => {
    const { d } = await daemon()
    const s = net.connect(d.port, '127.0.0.1')
    s.on('error', () => {})
    cleanups.push(async () => void s.destroy())
    await new Promise((r) => s.once('connect', r))
    s.write(
      `GET / HTTP/1.1\r\nHost: 127.0.0.1:${d.port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    )
    await new Promise((r) => s.once('data', r))
    // A wrong-token hello in one masked frame (zero key), then this client reads nothing more.
    const hello = encodeFrame(Kind.REQUEST, 1, Op.hello, { token: 'b'.repeat(64), protocol: 1 })
    s.pause()
    s.write(Buffer.concat([Buffer.from([0x82, 0xfe, hello.length >> 8, hello.length & 0xff, 0, 0, 0, 0]), hello]))
    expect(await poll(() => d.stats().clients === 0, 1000)).toBe(true) // refused at once
    expect(d.stats().preAuthSessions).toBe(1) // its socket waits for the close handshake
    expect(await poll(() => d.stats().preAuthSessions === 0, 4000)).toBe(true)
  })

  it('closes upgrades it refuses with 403 instead of holding them half-open for clients that never close', async () => {
    const { d } = await daemon()
    const fds = async () => (await readdir('/proc/self/fd')).length
    const socks: net.Socket[] = []
    cleanups.push(async () => socks.forEach((s) => s.destroy()))
    const before = await fds()
    const n = 40
    for (let i = 0; i < n; i++) {
      // allowHalfOpen: this client keeps its side open after the daemon's FIN, as a hostile one would
      const s = net.connect({ port: d.port, host: '127.0.0.1', allowHalfOpen: true })
      s.on('error', () => {}) // a reset once the daemon has closed its side is what the test expects
      socks.push(s)
      s.write(
        `GET / HTTP/1.1\r\nHost: 127.0.0.1:${d.port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nOrigin: https://evil.example\r\n` +
          'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      )
      await new Promise((r) => s.once('end', r).resume())
    }
    expect(d.stats().refusedUpgrades).toBe(n)
    // Our n client sockets stay open; the daemon's n server sides must be gone.
    let extra = (await fds()) - before
    for (let i = 0; i < 40 && extra >= n + 10; i++) {
      await new Promise((r) => setTimeout(r, 50))
      extra = (await fds()) - before
    }
    expect(extra).toBeLessThan(n + 10)
  })

  it('refuses a dangling symlink (no file is created outside) and a symlink as the last component', async () => {
    const { d, dir } = await daemon()
    const outside = join(dir, '..', 'outside')
    await mkdir(outside)
    await symlink(join(outside, 'planted'), join(dir, 'dangling'))
    await writeFile(join(dir, 'real'), 'x')
    await symlink(join(dir, 'real'), join(dir, 'link'))
    const c = await authed(d)
    expect((await req(c, Op.fileOpen, { root: 'r', path: 'dangling', create: true })).meta).toMatchObject({
      code: 'bad-path',
    })
    expect((await req(c, Op.fsMkdir, { root: 'r', path: 'dangling' })).meta).toMatchObject({ code: 'bad-path' })
    await expect(readFile(join(outside, 'planted'))).rejects.toMatchObject({ code: 'ENOENT' })
    expect((await req(c, Op.fileOpen, { root: 'r', path: 'link' })).meta).toMatchObject({ code: 'bad-path' })
    // create still opens an existing regular file without truncating it
    const f = await req(c, Op.fileOpen, { root: 'r', path: 'real', create: true })
    expect(f.ok).toBe(true)
    expect((await req(c, Op.fileStat, { handle: f.meta.handle })).meta).toMatchObject({ size: 1 })
  })

  it('concurrent mkdirs of siblings are not mistaken for dangling symlinks', async () => {
    const { d } = await daemon()
    const c = await authed(d)
    const names = Array.from({ length: 16 }, (_, k) => `n${k}`)
    for (let i = 0; i < 30; i++) {
      // Files and dirs under a shared missing parent, as storage prepares a multi-file torrent.
      const rs = await Promise.all(
        names.map((n, k) =>
          k % 2
            ? req(c, Op.fsMkdir, { root: 'r', path: `p${i}/q/s/${n}` })
            : req(c, Op.fsStat, { root: 'r', path: `p${i}/q/s/${n}/f` }),
        ),
      )
      expect(rs.filter((r) => !r.ok).map((r) => r.meta.message)).toEqual([])
    }
  })

  it('refuses a FIFO promptly instead of wedging file ops', async () => {
    const { d, dir } = await daemon()
    execFileSync('mkfifo', [join(dir, 'fifo')])
    const c = await authed(d)
    const t0 = Date.now()
    expect((await req(c, Op.fileOpen, { root: 'r', path: 'fifo' })).meta).toMatchObject({ code: 'invalid' })
    expect((await req(c, Op.fileOpen, { root: 'r', path: 'fifo', write: true })).meta).toMatchObject({
      code: 'invalid',
    })
    expect((await req(c, Op.fsSha1, { root: 'r', path: 'fifo', offset: 0, length: 0 })).meta).toMatchObject({
      code: 'invalid',
    })
    expect(Date.now() - t0).toBeLessThan(2000)
    expect((await req(c, Op.ping, {})).ok).toBe(true)
  })

  it('fs.sha1 over the length cap is too-large', async () => {
    const { d, dir } = await daemon({ maxSha1Bytes: 1024 })
    await writeFile(join(dir, 'f'), Buffer.alloc(4096))
    const c = await authed(d)
    expect((await req(c, Op.fsSha1, { root: 'r', path: 'f', offset: 0, length: 2048 })).meta).toMatchObject({
      code: 'too-large',
    })
    expect((await req(c, Op.fsSha1, { root: 'r', path: 'f', offset: 0, length: 1024 })).ok).toBe(true)
  })

  it('stops hashing when the client of an fs.sha1 disconnects', async () => {
    const size = 2 ** 31
    const { d, dir } = await daemon({ maxSha1Bytes: size })
    const { open: openFile } = await import('node:fs/promises')
    const fh = await openFile(join(dir, 'sparse'), 'w')
    await fh.truncate(size) // sparse: reads are cheap, hashing is the cost
    await fh.close()
    const c = await RawConn.open(d.url)
    await c.hello(TOKEN)
    c.request(7, Op.fsSha1, { root: 'r', path: 'sparse', offset: 0, length: size })
    await new Promise((r) => setTimeout(r, 300))
    c.close()
    await new Promise((r) => setTimeout(r, 200))
    const before = process.cpuUsage()
    await new Promise((r) => setTimeout(r, 500))
    const used = process.cpuUsage(before)
    // Still hashing would burn about one core (≈500 ms of CPU in these 500 ms).
    expect((used.user + used.system) / 1000).toBeLessThan(200)
  })

  it('fs.list pages a directory whose listing would exceed maxFrameBytes', async () => {
    const { d, dir } = await daemon(undefined, { maxFrameBytes: 64 * 1024 })
    const names: string[] = []
    for (let i = 0; i < 600; i++) names.push(`${String(i).padStart(4, '0')}-${'n'.repeat(200)}`)
    await Promise.all(names.map((n) => writeFile(join(dir, n), '')))
    const c = await authed(d)
    const seen: string[] = []
    let offset: number | undefined = 0
    for (let page = 0; page < 50 && offset !== undefined; page++) {
      const r = await req(c, Op.fsList, { root: 'r', path: '', offset })
      expect(r.ok).toBe(true)
      expect(Buffer.byteLength(JSON.stringify(r.meta))).toBeLessThan(64 * 1024)
      seen.push(...(r.meta.entries as Array<{ name: string }>).map((e) => e.name))
      offset = r.meta.next as number | undefined
    }
    expect(seen.length).toBeGreaterThan(0)
    expect(seen).toEqual([...names].sort())
  })
})

describe('daemon token file', () => {
  it('creates a 0600 token, and refuses an existing one readable by others or too weak', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tp-tok-'))
    cleanups.push(() => rm(dir, { recursive: true, force: true }))
    const t = await loadOrCreateToken(join(dir, 'new'))
    expect(t).toMatch(/^[0-9a-f]{64}$/)
    expect(await loadOrCreateToken(join(dir, 'new'))).toBe(t)
    await writeFile(join(dir, 'open'), 'ab'.repeat(32), { mode: 0o644 })
    await chmod(join(dir, 'open'), 0o644)
    await expect(loadOrCreateToken(join(dir, 'open'))).rejects.toThrow(/readable by group or others/)
    await writeFile(join(dir, 'weak'), 'hunter2', { mode: 0o600 })
    await expect(loadOrCreateToken(join(dir, 'weak'))).rejects.toThrow(/at least 32 hex/)
    await writeFile(join(dir, 'good'), `${'cd'.repeat(16)}\n`, { mode: 0o600 })
    expect(await loadOrCreateToken(join(dir, 'good'))).toBe('cd'.repeat(16))
  })
})
