import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { connectBridge } from '@tidepool/daemon-bridge'
import { startDaemon, type RunningDaemon } from '../src/index.ts'
import { TOKEN, until } from './helpers.ts'

let daemon: RunningDaemon | null = null
let dir = ''
afterEach(async () => {
  await daemon?.close()
  daemon = null
  if (dir) await rm(dir, { recursive: true, force: true })
})

async function start(): Promise<RunningDaemon> {
  dir = await mkdtemp(join(tmpdir(), 'tidepool-inproc-'))
  daemon = await startDaemon({ token: TOKEN, roots: { scratch: dir }, listen: false })
  return daemon
}

describe('a daemon with clients only in its own process (listen: false)', () => {
  it('opens no port, and a link client still has to present the token', async () => {
    const d = await start()
    expect(d.port).toBe(0)
    expect(d.url).toBe('in-process')
    const err = await connectBridge({ url: d.url, token: 'b'.repeat(64), socket: d.connectInProcess() }).catch(
      (e: { code?: string }) => e,
    )
    expect(err).toMatchObject({ code: 'auth' })
    await until(() => d.stats().clients === 0)
  })

  it('serves files under its roots only over the link (TCP: bridge-tcp.test.ts)', async () => {
    const d = await start()
    const c = await connectBridge({ url: d.url, token: TOKEN, socket: d.connectInProcess(), sendMode: 'fragments' })
    expect(c.roots).toEqual(['scratch'])
    // a large write goes as header + payload fragments: the daemon must write the payload itself
    const big = new Uint8Array(300 * 1024).map((_, i) => i % 251)
    await c.files.mkdir('scratch', 'a')
    const f = await c.files.open('scratch', 'a/b.bin', { write: true, create: true })
    await f.write(4096, big)
    await f.close()
    const onDisk = await readFile(join(dir, 'a/b.bin'))
    expect(onDisk.length).toBe(4096 + big.length)
    expect(Buffer.compare(onDisk.subarray(4096), Buffer.from(big))).toBe(0)
    await expect(c.files.open('scratch', '../escape.bin', { write: true, create: true })).rejects.toMatchObject({
      code: 'bad-path',
    })

    c.close()
    await until(() => d.stats().clients === 0 && d.stats().sockets === 0)
  })

  it('closing the daemon ends its link clients', async () => {
    const d = await start()
    const c = await connectBridge({ url: d.url, token: TOKEN, socket: d.connectInProcess() })
    const closed = new Promise<string>((r) => (c.onClose = (reason) => r(reason)))
    await d.close()
    daemon = null
    expect(await closed).toBe('connection-lost')
    expect(() => d.connectInProcess()).toThrow(/closed/) // no session on a closed daemon
  })
})
