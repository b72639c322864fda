import { mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { setupBridge, type BridgeSetup } from './bridge-setup.ts'

let dir = ''
let bridge: BridgeSetup | null = null
const saved = process.env.TIDEPOOL_BRIDGE
afterEach(async () => {
  await bridge?.close()
  bridge = null
  if (saved === undefined) delete process.env.TIDEPOOL_BRIDGE
  else process.env.TIDEPOOL_BRIDGE = saved
  if (dir) await rm(dir, { recursive: true, force: true })
})

/** TCP ports this process listens on (Linux: its socket fds matched against /proc/net/tcp{,6}). */
async function listeningPorts(): Promise<number[]> {
  const inodes = new Set<string>()
  for (const fd of await readdir('/proc/self/fd')) {
    const link = await readlink(`/proc/self/fd/${fd}`).catch(() => '')
    const m = /^socket:\[(\d+)\]$/.exec(link)
    if (m) inodes.add(m[1]!)
  }
  const ports: number[] = []
  for (const table of ['/proc/self/net/tcp', '/proc/self/net/tcp6']) {
    const lines = (await readFile(table, 'utf8').catch(() => '')).split('\n').slice(1)
    for (const line of lines) {
      const f = line.trim().split(/\s+/)
      if (f[3] === '0A' && inodes.has(f[9]!)) ports.push(parseInt(f[1]!.split(':')[1]!, 16))
    }
  }
  return ports.sort()
}

async function writeThrough(b: BridgeSetup, name: string): Promise<Buffer> {
  const f = await b.files.open('downloads', name, { write: true, create: true })
  await f.write(0, new Uint8Array(200 * 1024).fill(7)) // large enough to go as header + payload fragments
  await f.close()
  return readFile(join(dir, name))
}

describe('setupBridge with its own daemon', () => {
  it('joins the engine to it over the in-process link by default (no loopback socket on the data path)', async () => {
    delete process.env.TIDEPOOL_BRIDGE
    dir = await mkdtemp(join(tmpdir(), 'tidepool-bridge-setup-'))
    const before = await listeningPorts()
    bridge = await setupBridge({ roots: { downloads: dir }, daemonUrl: null, tokenFile: null })
    expect(bridge.carrier).toBe('in-process')
    expect(await listeningPorts()).toEqual(before) // the daemon opened no port
    expect(bridge.roots).toEqual(['downloads'])
    const bytes = await writeThrough(bridge, 'a.bin')
    expect(bytes.length).toBe(200 * 1024)
    expect(bytes.every((b) => b === 7)).toBe(true)
  })

  it('TIDEPOOL_BRIDGE=websocket uses a loopback WebSocket instead', async () => {
    process.env.TIDEPOOL_BRIDGE = 'websocket'
    dir = await mkdtemp(join(tmpdir(), 'tidepool-bridge-setup-'))
    const before = await listeningPorts()
    bridge = await setupBridge({ roots: { downloads: dir }, daemonUrl: null, tokenFile: null })
    expect(bridge.carrier).toBe('websocket')
    expect((await listeningPorts()).length).toBe(before.length + 1) // the daemon's WebSocket listener
    expect((await writeThrough(bridge, 'b.bin')).length).toBe(200 * 1024)
  })
})
