import { describe, expect, it } from 'vitest'
import { IoError } from '@tidepool/engine'
import type { Platform } from '@tidepool/engine'
import { FakeEngine } from '../dev/fake-engine.ts'
import { EngineHost, type BridgeLike, type EngineHostDeps } from './engine-host.ts'

function harness(answers: Array<'ok' | 'auth' | 'unreachable'>) {
  const timers: Array<{ fn: () => void; ms: number }> = []
  const bridges: BridgeLike[] = []
  let created = 0
  let closed = 0
  const deps: EngineHostDeps = {
    async connect() {
      const a = answers.shift() ?? 'unreachable'
      if (a !== 'ok') throw new IoError(a, `fake ${a}`)
      const b: BridgeLike = { net: {} as Platform['net'], files: {} as Platform['files'], close() {}, onClose: null }
      bridges.push(b)
      return b
    },
    async createEngine() {
      created++
      return {
        api: new FakeEngine({ torrents: 2 }),
        close: async () => {
          closed++
        },
      }
    },
    state: { get: async () => null, set: async () => {}, delete: async () => {}, keys: async () => [] },
    now: () => 0,
    setTimer(fn, ms) {
      timers.push({ fn, ms })
      return () => {}
    },
  }
  return { host: new EngineHost(deps), deps, timers, bridges, counts: () => ({ created, closed }) }
}

describe('EngineHost', () => {
  it('answers before init without touching the engine', async () => {
    const { host } = harness([])
    expect((await host.getStatus()).daemon).toBe('connecting')
    expect(await host.listTorrents()).toEqual([])
    await expect(host.addTorrent({ magnet: `magnet:?xt=urn:btih:${'a'.repeat(40)}` })).rejects.toThrow(/not connected/)
  })

  it('says the helper is not installed even when the daemon choice cannot be read', async () => {
    const { deps } = harness([])
    const failing = new EngineHost({
      ...deps,
      chooser: {
        inUse: () => Promise.reject(new Error('IndexedDB failed')),
        pair: async () => ({ name: '', url: '' }),
        setUse: async () => {},
        forget: async () => {},
        status: () => Promise.reject(new Error('not asked here')),
      },
    })
    await failing.setUnavailable('not-installed', 'Specified native messaging host not found.')
    expect(await failing.getStatus()).toMatchObject({ daemon: 'not-installed' })
  })

  it('does not wait on a daemon choice that never answers before saying the helper is missing', async () => {
    const { deps, timers } = harness([])
    const stuck = new EngineHost({
      ...deps,
      chooser: {
        inUse: () => new Promise(() => {}),
        pair: async () => ({ name: '', url: '' }),
        setUse: async () => {},
        forget: async () => {},
        status: () => Promise.reject(new Error('not asked here')),
      },
    })
    const said = stuck.setUnavailable('not-installed', 'Specified native messaging host not found.')
    await new Promise((r) => setTimeout(r, 0))
    expect(timers.map((t) => t.ms)).toEqual([2000])
    timers[0]!.fn()
    await said
    expect(await stuck.getStatus()).toMatchObject({ daemon: 'not-installed' })
  })

  it('reports a wrong token and does not retry', async () => {
    const { host, timers } = harness(['auth'])
    expect((await host.init({ daemonUrl: 'ws://x', token: 't' })).daemon).toBe('auth-failed')
    expect(timers).toHaveLength(0)
  })

  it('retries an unreachable daemon with backoff, then serves the engine', async () => {
    const { host, timers, counts } = harness(['unreachable', 'unreachable', 'ok'])
    expect((await host.init({ daemonUrl: 'ws://x', token: 't' })).daemon).toBe('unreachable')
    expect(timers.map((t) => t.ms)).toEqual([1000])
    timers[0]!.fn()
    await new Promise((r) => setTimeout(r, 0))
    expect(timers.map((t) => t.ms)).toEqual([1000, 2000])
    timers[1]!.fn()
    await new Promise((r) => setTimeout(r, 0))
    const s = await host.getStatus()
    expect(s.daemon).toBe('connected')
    expect(await host.listTorrents()).toHaveLength(2)
    expect(counts().created).toBe(1)
  })

  it('closes the engine when the daemon goes away and reconnects', async () => {
    const { host, timers, bridges, counts } = harness(['ok', 'ok'])
    await host.init({ daemonUrl: 'ws://x', token: 't' })
    bridges[0]!.onClose!('connection-lost', 'bye')
    await new Promise((r) => setTimeout(r, 0))
    expect((await host.getStatus()).daemon).toBe('unreachable')
    expect(counts().closed).toBe(1)
    timers[0]!.fn()
    await new Promise((r) => setTimeout(r, 0))
    expect((await host.getStatus()).daemon).toBe('connected')
    expect(counts().created).toBe(2)
  })

  it('re-init with a new token replaces the old engine', async () => {
    const { host, counts } = harness(['auth', 'ok'])
    await host.init({ daemonUrl: 'ws://x', token: 'bad' })
    expect((await host.init({ daemonUrl: 'ws://x', token: 'good' })).daemon).toBe('connected')
    await host.setUnavailable('not-installed', 'host not found')
    expect(await host.getStatus()).toMatchObject({ daemon: 'not-installed', message: 'host not found' })
    expect(counts()).toEqual({ created: 1, closed: 1 })
  })
})
