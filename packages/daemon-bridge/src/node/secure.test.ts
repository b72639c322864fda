import { describe, expect, it } from 'vitest'
import { nodeAead } from './aead-node.ts'
import { nobleAead } from '../secure/aead.ts'
import { SecureChannel } from '../secure/channel.ts'
import { CpaceParty, randomBytes } from '../secure/cpace.ts'
import { generateKeyPair, HandshakeError, IkInitiator, IkResponder, publicKeyOf } from '../secure/noise-ik.ts'

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

describe('Noise IK against the cacophony test vector (Noise_IK_25519_ChaChaPoly_SHA256)', () => {
  // vectors/cacophony.txt of haskell-cryptography/cacophony: fixed keys and ephemerals, prologue "John Galt"
  const h = (x: string): Uint8Array => Uint8Array.from(Buffer.from(x, 'hex'))
  const pair = (secret: string) => ({ secretKey: h(secret), publicKey: publicKeyOf(h(secret)) })
  const v = {
    prologue: h('4a6f686e2047616c74'),
    initStatic: pair('e61ef9919cde45dd5f82166404bd08e38bceb5dfdfded0a34c8df7ed542214d1'),
    initEphemeral: pair('893e28b9dc6ca8d611ab664754b8ceb7bac5117349a4439a6b0569da977c464a'),
    respStatic: pair('4a3acbfdb163dec651dfa3194dece676d437029c62a408b4c5ea9114246e4893'),
    respEphemeral: pair('bbdb4cdbd309f1a1f2e1456967fe288cadd6f712d65dc7b7793d5e63da6b375b'),
    handshakeHash: '0b0f68fb0c27e03ce9b97565995ed4838cc0581b762ef72b062f6a546419fad7',
    messages: [
      [
        '4c756477696720766f6e204d69736573',
        'ca35def5ae56cec33dc2036731ab14896bc4c75dbb07a61f879f8e3afa4c7944718da798efbcd91528520204f904b9bd6c7413dccdc214d951e15253e39987f18146e8cd0873654207148333479d4d16c289f0294b29960a72f48e0b7bba2e89083169825e59642148d492020664ccf7',
      ],
      [
        '4d757272617920526f746862617264',
        '95ebc60d2b1fa672c1f46a8aa265ef51bfe38e7ccb39ec5be34069f1448088435361e70b2ed446e6c9ec387d1d6b3b840f194e373979d241b203c4acafccf5',
      ],
      ['462e20412e20486179656b', '050e9f3c8fac16b68dbce8f8c4bfbf6617c897f9ada4aa29aa19c8'],
      ['4361726c204d656e676572', '344233a6cabb7141d80f3da2fedc311d9646bbb0f505afe403a667'],
    ],
  }

  it('produces the same messages, handshake hash and transport ciphertexts', () => {
    const i = new IkInitiator(v.initStatic, v.respStatic.publicKey, v.prologue)
    const r = new IkResponder(v.respStatic, v.prologue)
    const m1 = i.writeMessage1(h(v.messages[0]![0]!), v.initEphemeral)
    expect(hex(m1)).toBe(v.messages[0]![1])
    expect(hex(r.readMessage1(m1).payload)).toBe(v.messages[0]![0])
    const { message: m2, result: rr } = r.writeMessage2(h(v.messages[1]![0]!), v.respEphemeral)
    expect(hex(m2)).toBe(v.messages[1]![1])
    const ir = i.readMessage2(m2).result
    expect(hex(ir.handshakeHash)).toBe(v.handshakeHash)
    expect(hex(rr.handshakeHash)).toBe(v.handshakeHash)
    // transport: initiator → responder with counter 0, then responder → initiator with counter 0
    const ic = new SecureChannel(ir.sendKey, ir.recvKey)
    const rc = new SecureChannel(rr.sendKey, rr.recvKey, nodeAead)
    expect(hex(ic.seal(h(v.messages[2]![0]!)))).toBe(v.messages[2]![1])
    expect(hex(rc.seal(h(v.messages[3]![0]!)))).toBe(v.messages[3]![1])
  })
})

describe('SecureChannel', () => {
  it('sealParts gives the same message as seal, in two parts', () => {
    const k = randomBytes(32)
    const frame = new Uint8Array(70_000).fill(3)
    const whole = new SecureChannel(k, k, nodeAead).seal(frame)
    const parts = new SecureChannel(k, k, nodeAead).sealParts(frame)
    expect(parts.length).toBe(2)
    expect(hex(Buffer.concat(parts))).toBe(hex(whole))
    expect(new SecureChannel(k, k).sealParts(frame).map(hex)).toEqual([hex(whole)]) // noble: one part
  })

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
