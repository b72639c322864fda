import { describe, expect, it } from 'vitest'
import { nodeAead } from './aead-node.ts'
import { nobleAead } from '../secure/aead.ts'
import { SecureChannel } from '../secure/channel.ts'
import { CpaceParty, randomBytes } from '../secure/cpace.ts'
import { generateKeyPair, HandshakeError, IkInitiator, IkResponder } from '../secure/noise-ik.ts'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

describe('CPace pairing keys', () => {
  it('agree when both sides hold the same code, however it was typed', () => {
    const sid = randomBytes(16)
    const c = new CpaceParty('k7p2-qx9m', sid)
    const d = new CpaceParty('K7P2QX9M', sid)
    const kc = c.finish(d.share, true)
    const kd = d.finish(c.share, false)
    expect(hex(kc.c2d)).toBe(hex(kd.c2d))
    expect(hex(kc.d2c)).toBe(hex(kd.d2c))
    expect(hex(kc.transcript)).toBe(hex(kd.transcript))
  })

  it('differ when the codes differ, and the shares never contain the code', () => {
    const sid = randomBytes(16)
    const c = new CpaceParty('K7P2QX9M', sid)
    const d = new CpaceParty('K7P2QX9N', sid)
    expect(hex(c.finish(d.share, true).c2d)).not.toBe(hex(d.finish(c.share, false).c2d))
    expect(Buffer.from(c.share).includes(Buffer.from('K7P2QX9M'))).toBe(false)
  })

  it('refuses an identity or malformed share', () => {
    const c = new CpaceParty('K7P2QX9M', randomBytes(16))
    expect(() => c.finish(new Uint8Array(32), true)).toThrow()
    expect(() => c.finish(new Uint8Array(32).fill(0xff), true)).toThrow()
  })
})

describe('Noise IK handshake', () => {
  it('gives both sides crossed transport keys and tells the daemon who the client is', () => {
    const client = generateKeyPair()
    const daemon = generateKeyPair()
    const i = new IkInitiator(client, daemon.publicKey)
    const r = new IkResponder(daemon)
    const seen = r.readMessage1(i.writeMessage1())
    expect(hex(seen.clientStatic)).toBe(hex(client.publicKey))
    const { message, result } = r.writeMessage2()
    const mine = i.readMessage2(message).result
    expect(hex(mine.sendKey)).toBe(hex(result.recvKey))
    expect(hex(mine.recvKey)).toBe(hex(result.sendKey))
    expect(hex(mine.handshakeHash)).toBe(hex(result.handshakeHash))
  })

  it('fails for a client that thinks it talks to another daemon, and for a flipped bit', () => {
    const client = generateKeyPair()
    const daemon = generateKeyPair()
    const m1 = new IkInitiator(client, generateKeyPair().publicKey).writeMessage1()
    expect(() => new IkResponder(daemon).readMessage1(m1)).toThrow(HandshakeError)
    const good = new IkInitiator(client, daemon.publicKey).writeMessage1()
    for (const at of [0, 40, good.length - 1]) {
      const bad = Uint8Array.from(good)
      bad[at]! ^= 1
      expect(() => new IkResponder(daemon).readMessage1(bad)).toThrow(HandshakeError)
    }
  })

  it('a replayed message 1 gives the replayer no keys: it cannot read the reply', () => {
    const client = generateKeyPair()
    const daemon = generateKeyPair()
    const m1 = new IkInitiator(client, daemon.publicKey).writeMessage1()
    const r = new IkResponder(daemon)
    r.readMessage1(m1)
    const { message } = r.writeMessage2()
    // The replayer knows the daemon's public key but not the client's private one: a fresh initiator
    // with another key cannot open message 2.
    const fake = new IkInitiator(generateKeyPair(), daemon.publicKey)
    fake.writeMessage1()
    expect(() => fake.readMessage2(message)).toThrow(HandshakeError)
  })
})

describe('SecureChannel', () => {
  for (const [name, a, b] of [
    ['noble → node', nobleAead, nodeAead],
    ['node → noble', nodeAead, nobleAead],
  ] as const) {
    it(`${name}: frames open in order; a flipped bit, a replay and a reorder do not`, () => {
      const k1 = randomBytes(32)
      const k2 = randomBytes(32)
      const tx = new SecureChannel(k1, k2, a)
      const rx = new SecureChannel(k2, k1, b)
      const f1 = tx.seal(Buffer.from('frame one'))
      const f2 = tx.seal(new Uint8Array(300_000).fill(7))
      const f3 = tx.seal(Buffer.from('frame three'))
      expect(Buffer.from(rx.open(f1)!).toString()).toBe('frame one')
      expect(rx.open(f1)).toBeNull() // replay
      expect(rx.open(f3)).toBeNull() // reorder (f2 skipped)
      const flipped = Uint8Array.from(f2)
      flipped[12345]! ^= 0x10
      expect(rx.open(flipped)).toBeNull()
      expect(rx.open(f2)?.length).toBe(300_000)
      expect(Buffer.from(rx.open(f3)!).toString()).toBe('frame three')
    })
  }
})
