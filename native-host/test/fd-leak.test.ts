import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectBridge } from '@tidepool/daemon-bridge'
import { echoServer, until, WS } from './helpers.ts'

const here = dirname(fileURLToPath(import.meta.url))
const repo = join(here, '..', '..')

let child: ChildProcess
let pid: number
let url: string
let dir: string

/** Open descriptors of the daemon process. */
async function fds(): Promise<number> {
  return (await readdir(`/proc/${pid}/fd`)).length
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tidepool-fd-'))
  child = spawn(
    join(repo, 'node_modules', '.bin', 'tsx'),
    [
      join(repo, 'native-host/src/cli/daemon.ts'),
      '--port',
      '0',
      '--token-file',
      join(dir, 'token'),
      '--root',
      `scratch=${dir}`,
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  const first = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! })
    rl.once('line', resolve)
    child.once('exit', (c) => reject(new Error(`daemon exited ${c}`)))
  })
  const info = JSON.parse(first) as { port: number; pid: number; url: string }
  pid = info.pid
  url = info.url
}, 30_000)

afterAll(async () => {
  if (pid) process.kill(pid, 'SIGTERM')
  child?.kill('SIGTERM')
  await rm(dir, { recursive: true, force: true })
})

describe('daemon process descriptors', () => {
  it('1000 connect/close cycles and a disconnecting client leave no leaked fds', { timeout: 60_000 }, async () => {
    const { readFile } = await import('node:fs/promises')
    const token = (await readFile(join(dir, 'token'), 'utf8')).trim()
    const echo = await echoServer()
    const c = await connectBridge({ url, token, WebSocketImpl: WS })
    // Warm up (lazy handles such as the DNS/ares channel) before taking the baseline.
    ;(await c.net.connect({ host: '127.0.0.1', port: echo.port })).close()
    const h0 = await c.files.open('scratch', 'warm', { create: true })
    await h0.close()
    await until(() => echo.sockets.size === 0)
    const before = await fds()
    let done = 0
    const worker = async (): Promise<void> => {
      while (done < 1000) {
        done++
        const s = await c.net.connect({ host: '127.0.0.1', port: echo.port })
        s.close()
      }
    }
    await Promise.all(Array.from({ length: 10 }, worker))
    for (let i = 0; i < 50; i++) {
      const h = await c.files.open('scratch', `f${i}`, { create: true })
      await h.close()
    }
    await until(fdsBecome(before), 10_000)
    expect(await fds()).toBe(before)

    // A client that goes away with sockets, a listener, a UDP socket and a file open.
    const c2 = await connectBridge({ url, token, WebSocketImpl: WS })
    for (let i = 0; i < 20; i++) await c2.net.connect({ host: '127.0.0.1', port: echo.port })
    await c2.net.listen({ host: '127.0.0.1', port: 0 }, () => {})
    await c2.net.bindUdp({ host: '127.0.0.1' }, () => {})
    await c2.files.open('scratch', 'held', { create: true })
    await until(() => echo.sockets.size === 20)
    expect(await fds()).toBeGreaterThanOrEqual(before + 24)
    c2.close()
    await until(() => echo.sockets.size === 0)
    await until(fdsBecome(before), 10_000)
    expect(await fds()).toBe(before)
    c.close()
    await echo.close()
  })
})

/** until() takes a sync predicate: sample the fd count in the background. */
function fdsBecome(want: number): () => boolean {
  let last = -1
  let busy = false
  return () => {
    if (!busy) {
      busy = true
      void fds().then((n) => {
        last = n
        busy = false
      })
    }
    return last === want
  }
}
