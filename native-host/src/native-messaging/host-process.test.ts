/** Spawns the real host as Chrome would, speaks the framing, and checks the daemon it starts. */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { connectBridge, type WebSocketCtor } from '@tidepool/daemon-bridge'
import { HOST_CLI } from '../install/install.ts'
import { readDaemonState, pidAlive } from './daemon-state.ts'
import { encodeFrame, FrameReader } from './framing.ts'

const ID = 'abcdefghijklmnopabcdefghijklmnop'
const ORIGIN = `chrome-extension://${ID}`
const WS = WebSocket as unknown as WebSocketCtor

interface Host {
  child: ChildProcess
  request(msg: unknown): Promise<Record<string, unknown>>
  exited: Promise<number | null>
}

function startHost(dir: string, argv = [`${ORIGIN}/`]): Host {
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), HOST_CLI, ...argv], {
    env: { ...process.env, TIDEPOOL_CONFIG_DIR: dir },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  const reader = new FrameReader()
  const waiting: ((m: Record<string, unknown>) => void)[] = []
  let stdoutBytes = 0
  child.stdout!.on('data', (b: Buffer) => {
    stdoutBytes += b.length
    for (const m of reader.push(b)) waiting.shift()?.(m as Record<string, unknown>)
  })
  child.stderr!.on('data', () => {})
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
  void stdoutBytes
  return {
    child,
    exited,
    request: (msg) =>
      new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no reply from host in 25 s')), 25_000)
        waiting.push((m) => {
          clearTimeout(t)
          resolve(m)
        })
        child.stdin!.write(encodeFrame(msg))
      }),
  }
}

describe('native-messaging host (child process)', () => {
  let dir = ''
  const daemons = new Set<number>()

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tidepool-host-'))
    await writeFile(join(dir, 'config.json'), JSON.stringify({ downloadRoot: join(dir, 'dl') }))
  })
  afterAll(async () => {
    for (const pid of daemons) if (pidAlive(pid)) process.kill(pid, 'SIGTERM')
    await rm(dir, { recursive: true, force: true })
  })

  it('starts a daemon, answers {port, token, version}, and the daemon admits only the caller', async () => {
    const h = startHost(dir)
    const reply = await h.request({ type: 'hello', id: 1 })
    expect(reply).toMatchObject({ type: 'daemon', id: 1, version: '0.1.0' })
    const port = reply.port as number
    const token = reply.token as string
    expect(port).toBeGreaterThan(0)
    expect(reply.url).toBe(`ws://127.0.0.1:${port}`)
    expect(token).toMatch(/^[0-9a-f]{64}$/)
    expect((await readFile(join(dir, 'token'), 'utf8')).trim()).toBe(token)
    expect((await stat(join(dir, 'token'))).mode & 0o777).toBe(0o600)

    const st = await readDaemonState(dir)
    expect(st).not.toBeNull()
    daemons.add(st!.pid)
    expect(st!.port).toBe(port)
    expect(st!.origins).toContain(ORIGIN)
    expect(st!.parentPid).toBe(process.pid) // the host's parent (here this test, under Chrome the browser)
    expect(st!.downloadRoot).toBe(join(dir, 'dl'))

    // the right origin with the token gets a working bridge with the downloads root
    const c = await connectBridge({ url: `ws://127.0.0.1:${port}`, token, origin: ORIGIN, WebSocketImpl: WS })
    expect(c.files.roots()).toEqual(['downloads'])
    c.close()
    // the right origin with a wrong token is refused
    await expect(
      connectBridge({ url: `ws://127.0.0.1:${port}`, token: 'f'.repeat(64), origin: ORIGIN, WebSocketImpl: WS }),
    ).rejects.toMatchObject({ code: 'auth' })
    // a foreign origin is refused at the upgrade (403), even with the right token
    await expect(
      connectBridge({ url: `ws://127.0.0.1:${port}`, token, origin: 'https://evil.example', WebSocketImpl: WS }),
    ).rejects.toThrow(/403/)
    // and a client without an Origin header too
    await expect(connectBridge({ url: `ws://127.0.0.1:${port}`, token, WebSocketImpl: WS })).rejects.toThrow(/403/)

    // it answers ping and keeps answering while the port stays open
    expect(await h.request({ type: 'ping', id: 2 })).toEqual({ type: 'pong', id: 2 })
    expect(await h.request({ type: 'hello', id: 3 })).toMatchObject({ port, token })

    // closing stdin (Chrome disconnecting) ends the host; the detached daemon keeps running
    h.child.stdin!.end()
    expect(await h.exited).toBe(0)
    expect(pidAlive(st!.pid)).toBe(true)
  })

  it('a second host finds the running daemon through daemon.json instead of starting another', async () => {
    const before = await readDaemonState(dir)
    const h = startHost(dir)
    const reply = await h.request({ type: 'hello' })
    expect(reply.port).toBe(before!.port)
    expect((await readDaemonState(dir))!.pid).toBe(before!.pid)
    h.child.stdin!.end()
    await h.exited
  })

  it('restarts the daemon for another extension and keeps admitting the first', async () => {
    const before = await readDaemonState(dir)
    const other = 'ponmlkjihgfedcbaponmlkjihgfedcba'
    const h = startHost(dir, [`chrome-extension://${other}/`])
    const reply = await h.request({ type: 'hello' })
    const after = await readDaemonState(dir)
    daemons.add(after!.pid)
    expect(after!.pid).not.toBe(before!.pid)
    expect(pidAlive(before!.pid)).toBe(false)
    expect(after!.origins).toEqual(expect.arrayContaining([ORIGIN, `chrome-extension://${other}`]))
    for (const origin of [ORIGIN, `chrome-extension://${other}`]) {
      const c = await connectBridge({
        url: `ws://127.0.0.1:${reply.port as number}`,
        token: reply.token as string,
        origin,
        WebSocketImpl: WS,
      })
      c.close()
    }
    h.child.stdin!.end()
    await h.exited
  })

  it('answers an error, not a daemon, when not started with an extension origin', async () => {
    const h = startHost(dir, [])
    expect(await h.request({ type: 'hello' })).toMatchObject({ type: 'error' })
    h.child.stdin!.end()
    await h.exited
  })
})
