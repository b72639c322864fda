import { describe, expect, it } from 'vitest'
import type { BridgeClient } from '@tidepool/daemon-bridge'
import { MemoryStateStore } from '@tidepool/engine'
import { companionUrl, DaemonChooser } from './daemon-chooser.ts'

describe('companionUrl', () => {
  it('accepts an address, address:port or a ws URL', () => {
    expect(companionUrl('10.0.0.5')).toBe('ws://10.0.0.5:8742')
    expect(companionUrl(' 10.0.0.5:9000 ')).toBe('ws://10.0.0.5:9000')
    expect(companionUrl('ws://[fd00::5]:8742')).toBe('ws://[fd00::5]:8742')
  })
})

describe('DaemonChooser', () => {
  it('uses the local helper until a companion is paired, and a stored choice survives a new worker', async () => {
    const state = new MemoryStateStore()
    const local: string[] = []
    const connectLocal = async (url: string) => {
      local.push(url)
      return { closed: true, rootPaths: {} } as unknown as BridgeClient
    }
    const c = new DaemonChooser(state, connectLocal)
    await c.setUse('companion') // nothing paired: stays local
    expect(await c.inUse()).toBe('local')
    await c.connect('ws://127.0.0.1:1', 't')
    expect(local).toEqual(['ws://127.0.0.1:1'])
    // a pairing record written by an earlier worker
    const record = {
      identity: { secretKey: '00'.repeat(32), publicKey: '11'.repeat(32) },
      paired: {
        url: 'ws://10.0.0.5:8742',
        name: 'phone',
        daemonKey: '22'.repeat(32),
        token: 'ab'.repeat(32),
        pairedAt: 1,
      },
    }
    await state.set('companion/record', new TextEncoder().encode(JSON.stringify(record)))
    await state.set('companion/use', new TextEncoder().encode('companion'))
    const later = new DaemonChooser(state, connectLocal)
    expect(await later.inUse()).toBe('companion')
    expect((await later.status()).companion).toEqual({ name: 'phone', url: 'ws://10.0.0.5:8742', pairedAt: 1 })
    await later.forget()
    expect(await new DaemonChooser(state, connectLocal).inUse()).toBe('local')
  })
})
