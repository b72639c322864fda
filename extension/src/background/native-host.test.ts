import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { classifyHostError, NativeHostLink, type HostState } from './native-host.ts'

/** A fake chrome.runtime with connectNative ports the test drives. */
class FakePort {
  sent: unknown[] = []
  private msg = new Set<(m: unknown) => void>()
  private disc = new Set<() => void>()
  disconnected = false
  onMessage = {
    addListener: (f: (m: unknown) => void) => void this.msg.add(f),
    removeListener: (f: (m: unknown) => void) => void this.msg.delete(f),
  }
  onDisconnect = { addListener: (f: () => void) => void this.disc.add(f) }
  postMessage(m: unknown) {
    this.sent.push(m)
  }
  disconnect() {
    this.disconnected = true
  }
  reply(m: unknown) {
    this.msg.forEach((f) => f(m))
  }
  exit(lastError?: string) {
    fake.lastError = lastError ? { message: lastError } : undefined
    this.disc.forEach((f) => f())
    fake.lastError = undefined
  }
}
const fake: { ports: FakePort[]; lastError: { message: string } | undefined; throwOnConnect: string | null } = {
  ports: [],
  lastError: undefined,
  throwOnConnect: null,
}

beforeEach(() => {
  fake.ports = []
  fake.throwOnConnect = null
  ;(globalThis as unknown as { chrome: unknown }).chrome = {
    runtime: {
      connectNative: (name: string) => {
        if (fake.throwOnConnect) throw new Error(fake.throwOnConnect)
        expect(name).toBe('com.tidepool.daemon')
        const p = new FakePort()
        fake.ports.push(p)
        return p
      },
      get lastError() {
        return fake.lastError
      },
      getManifest: () => ({ version: '9.9.9' }),
    },
  }
})
afterEach(() => {
  delete (globalThis as unknown as { chrome?: unknown }).chrome
})

describe('NativeHostLink', () => {
  it('says hello and resolves with {port, token, version}', async () => {
    const states: HostState[] = []
    const link = new NativeHostLink((s) => states.push(s))
    const p = link.connect()
    expect(fake.ports[0]!.sent).toEqual([{ type: 'hello', version: '9.9.9' }])
    fake.ports[0]!.reply({ port: 4321, token: 'tok', version: '0.1.0' })
    expect(await p).toEqual({ kind: 'ready', info: { port: 4321, token: 'tok', version: '0.1.0' } })
    expect(states).toHaveLength(1)
    // Connected: a second connect() reuses the answer without a new host.
    expect((await link.connect()).kind).toBe('ready')
    expect(fake.ports).toHaveLength(1)
  })

  it('reports a missing host as not-installed', async () => {
    const link = new NativeHostLink(() => {})
    const p = link.connect()
    fake.ports[0]!.exit('Specified native messaging host not found.')
    expect(await p).toEqual({ kind: 'not-installed', message: 'Specified native messaging host not found.' })
    fake.throwOnConnect = 'Access to the specified native messaging host is forbidden.'
    expect((await link.connect()).kind).toBe('not-installed')
  })

  it('reports a host error or crash as unreachable and ignores malformed answers', async () => {
    const link = new NativeHostLink(() => {})
    const p = link.connect()
    fake.ports[0]!.reply({ port: 'x', token: '' })
    fake.ports[0]!.reply({ error: 'daemon failed to start' })
    expect(await p).toEqual({ kind: 'unreachable', message: 'daemon failed to start' })
    const q = link.connect()
    fake.ports[1]!.exit('Native host has exited.')
    expect((await q).kind).toBe('unreachable')
  })

  it('a helper that crashed or failed is not reported as not installed, however it fails', async () => {
    const link = new NativeHostLink(() => {})
    const p = link.connect()
    fake.ports[0]!.exit('Error when communicating with the native messaging host.')
    expect((await p).kind).toBe('unreachable')
    // a crash whose words happen to say "not found" (its script, a file) is still a crash
    const q = link.connect()
    fake.ports[1]!.exit('Native host has exited: node: not found')
    expect((await q).kind).toBe('unreachable')
    fake.throwOnConnect = 'Native host has exited.'
    expect((await link.connect()).kind).toBe('unreachable')
    expect(classifyHostError('Specified native messaging host not found.')).toBe('not-installed')
  })

  it('keeps the daemon when the host exits after answering; reconnect() asks a new host', async () => {
    const link = new NativeHostLink(() => {})
    const p = link.connect()
    fake.ports[0]!.reply({ port: 1, token: 'a' })
    await p
    fake.ports[0]!.exit('Native host has exited.')
    expect(link.state()?.kind).toBe('ready')
    const r = link.reconnect()
    expect(fake.ports).toHaveLength(2)
    fake.ports[1]!.reply({ port: 2, token: 'b' })
    expect(await r).toEqual({ kind: 'ready', info: { port: 2, token: 'b' } })
  })

  it('ignores the disconnect of a port replaced by reconnect()', async () => {
    const link = new NativeHostLink(() => {})
    const p = link.connect()
    fake.ports[0]!.reply({ port: 1, token: 'a' })
    await p
    const r = link.reconnect()
    expect(fake.ports[0]!.disconnected).toBe(true)
    fake.ports[0]!.exit('gone')
    fake.ports[1]!.reply({ port: 3, token: 'c' })
    expect(await r).toMatchObject({ kind: 'ready', info: { port: 3 } })
  })
})
