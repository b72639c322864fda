import { describe, expect, it } from 'vitest'
import { arenaConnect } from './arena-socket.ts'
import { nodeWsOptionsFor } from './index.ts'

describe('nodeWsOptionsFor', () => {
  it('arena reads only for ws:, zero mask only for a loopback daemon', () => {
    const local = nodeWsOptionsFor('ws://127.0.0.1:9000/')
    expect(local.createConnection).toBe(arenaConnect)
    expect(typeof local.generateMask).toBe('function')
    expect(nodeWsOptionsFor('ws://[::1]:9000/').generateMask).toBeDefined()
    const tls = nodeWsOptionsFor('wss://127.0.0.1:9000/')
    expect(tls.createConnection).toBeUndefined()
    const remote = nodeWsOptionsFor('ws://192.168.1.5:9000/')
    expect(remote.createConnection).toBe(arenaConnect)
    expect(remote.generateMask).toBeUndefined()
    expect(remote.allowSynchronousEvents).toBe(false)
  })
})
