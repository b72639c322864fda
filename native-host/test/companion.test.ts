import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { WebSocket } from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectBridge } from '@tidepool/daemon-bridge'
import { Msg } from '@tidepool/daemon-bridge/secure'
import { revokePairedClient, readCompanionState } from '../src/daemon/companion/companion-state.ts'
import { testCompanion, type TestCompanion } from './companion-helpers.ts'
import { WS } from './helpers.ts'

let c: TestCompanion
beforeAll(async () => {
  c = await testCompanion()
})
afterAll(async () => {
  await c.stop()
})

/** Opens a raw WebSocket to the companion, sends `first`, and resolves with how it was closed. */
function rawAttempt(
  url: string,
  first: Uint8Array | null,
  headers?: Record<string, string>,
): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers })
    ws.on('open', () => first && ws.send(first))
    ws.on('unexpected-response', (_req, res) => resolve({ code: res.statusCode ?? 0, reason: 'http' }))
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }))
    ws.on('error', () => {})
  })
}

async function roundTrip(client: Awaited<ReturnType<TestCompanion['connect']>>, name: string): Promise<void> {
  const h = await client.files.open('scratch', name, { create: true })
  await h.write(0, new TextEncoder().encode(`hello ${name}`))
  expect(new TextDecoder().decode(await h.read(0, 6 + name.length))).toBe(`hello ${name}`)
  await h.close()
}

describe('companion daemon: pairing and the secure channel', () => {
  let paired: Awaited<ReturnType<TestCompanion['pair']>>
  let client: Awaited<ReturnType<TestCompanion['connect']>>

  it('pairs with the code, then connects with its keys and runs the bridge protocol inside', async () => {
    paired = await c.pair('laptop')
    expect(paired.paired.name).toBe('test-companion')
    expect(readCompanionState(c.stateDir)!.clients.map((x) => x.name)).toEqual(['laptop'])
    client = await c.connect(paired.identity, paired.paired)
    expect(client.roots).toEqual(['scratch'])
    await roundTrip(client, 'a.txt')
    expect(await readFile(join(c.dir, 'a.txt'), 'utf8')).toBe('hello a.txt')
    // a 3 MiB write and read back: large frames go through the channel intact
    const h = await client.files.open('scratch', 'big.bin', { create: true })
    const big = Buffer.alloc(3 * 1024 * 1024 + 5)
    for (let i = 0; i < big.length; i++) big[i] = (i * 31 + (i >> 9)) & 255
    await h.write(0, big)
    expect(Buffer.from(await h.read(0, big.length)).equals(big)).toBe(true)
    await h.close()
  })

  it('the code is used up after one pairing', async () => {
    await expect(c.pair('second', c.pairing.code)).rejects.toThrow(/pairing window closed/)
  })

  it('refuses a wrong code, and closes the window after three failures', async () => {
    const w = c.reopenPairing()
    const wrong = w.code.replace(/^./, (ch) => (ch === 'A' ? 'B' : 'A'))
    for (let i = 0; i < 3; i++) await expect(c.pair(`guess${i}`, wrong)).rejects.toThrow(/wrong code/)
    // now even the right code is refused
    await expect(c.pair('late', w.code)).rejects.toThrow(/pairing window closed/)
    expect(readCompanionState(c.stateDir)!.clients.map((x) => x.name)).toEqual(['laptop'])
    await roundTrip(client, 'still-1.txt')
  })

  it('rate-limits attempts that come faster than the window allows', async () => {
    const w = c.reopenPairing({ minIntervalMs: 60_000 })
    const wrong = w.code.replace(/^./, (ch) => (ch === 'A' ? 'B' : 'A'))
    await expect(c.pair('g1', wrong)).rejects.toThrow(/wrong code/)
    await expect(c.pair('g2', w.code)).rejects.toThrow(/rate-limited/)
  })

  it('refuses a client that never paired, and a replayed handshake', async () => {
    const stranger = await import('@tidepool/daemon-bridge/secure').then((m) => m.newCompanionIdentity())
    await expect(c.connect(stranger, paired.paired)).rejects.toThrow(/not paired/)
    // Record the paired client's first handshake message on the wire, then send it again.
    const captured: Uint8Array[] = []
    class Recording extends WebSocket {
      override send(data: unknown, ...rest: unknown[]): void {
        if (captured.length === 0 && data instanceof Uint8Array) captured.push(Uint8Array.from(data))
        ;(super.send as (...a: unknown[]) => void)(data, ...rest)
      }
    }
    const { connectCompanion } = await import('@tidepool/daemon-bridge/secure')
    const rec = await connectCompanion({
      paired: paired.paired,
      identity: paired.identity,
      WebSocketImpl: Recording as unknown as typeof WS,
    })
    rec.close()
    expect(captured[0]![0]).toBe(Msg.auth1)
    const r = await rawAttempt(c.url, captured[0]!)
    expect(r).toEqual({ code: 4001, reason: 'replayed handshake' })
    // A plain bridge client (the token in a hello, no channel) gets nowhere either.
    await expect(
      connectBridge({ url: c.url, token: paired.paired.token, WebSocketImpl: WS, timeoutMs: 3000 }),
    ).rejects.toThrow()
    await roundTrip(client, 'still-2.txt')
  })

  it('a flipped bit in a frame ends that connection only', async () => {
    const other = await c.connect(paired.identity, paired.paired)
    // Reach under the client to its raw WebSocket and flip one bit of the next sealed frame it sends.
    const secure = (other as unknown as { ws: { raw: WebSocket } }).ws
    const closed = new Promise<number>((resolve) => secure.raw.once('close', (code) => resolve(code)))
    const send = secure.raw.send.bind(secure.raw) as (d: Uint8Array) => void
    ;(secure.raw as unknown as { send: (d: Uint8Array) => void }).send = (d) => {
      const flipped = Uint8Array.from(d)
      flipped[Math.floor(flipped.length / 2)]! ^= 0x04
      send(flipped)
    }
    await expect(other.files.open('scratch', 'never.txt', { create: true })).rejects.toThrow()
    await expect(readFile(join(c.dir, 'never.txt'))).rejects.toThrow(/ENOENT/)
    expect(await closed).toBe(4003)
    expect(other.closed).toBe(true)
    await roundTrip(client, 'still-3.txt')
  })

  it('a revoked client is cut off and cannot come back; the others keep working', async () => {
    c.reopenPairing()
    const phone = await c.pair('phone')
    const phoneClient = await c.connect(phone.identity, phone.paired)
    await roundTrip(phoneClient, 'phone.txt')
    const ended = new Promise<void>((resolve) => {
      phoneClient.onClose = () => resolve()
    })
    expect(revokePairedClient(c.stateDir, 'phone')).toBe(true)
    await ended // the daemon watches its state file
    await expect(c.connect(phone.identity, phone.paired)).rejects.toThrow(/not paired/)
    await roundTrip(client, 'still-4.txt')
  })

  it('refuses foreign Host and foreign web Origins at the upgrade', async () => {
    const port = c.daemon.port
    expect((await rawAttempt(`ws://127.0.0.1:${port}`, null, { Host: `evil.example:${port}` })).code).toBe(403)
    expect((await rawAttempt(c.url, null, { Origin: 'https://evil.example' })).code).toBe(403)
  })
})
