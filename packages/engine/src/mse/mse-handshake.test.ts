import { describe, expect, it } from 'vitest'
import { concatBytes, utf8Encode } from '../util/bytes.ts'
import { sha1Sync } from '../util/sha1-sync.ts'
import { encodeHandshake } from '../wire/handshake.ts'
import { DH_PRIME, bigIntToBytes, generateKeyPair, sharedSecret } from './dh.ts'
import {
  CRYPTO_PLAINTEXT,
  CRYPTO_RC4,
  MseInitiator,
  MseReceiver,
  createSkeyLookup,
  detectIncoming,
  req2Hash,
  type MseInitiatorOptions,
  type MseReceiverOptions,
} from './mse-handshake.ts'
import { runPipe, seededRandom } from './mse-test-kit.ts'
import { mseRc4 } from './rc4.ts'

const INFO_HASH = sha1Sync(utf8Encode('the torrent'))
const OTHER_HASH = sha1Sync(utf8Encode('another torrent'))
const PEER_ID = utf8Encode('-TP0001-abcdefghijkl')
const IA = encodeHandshake(INFO_HASH, PEER_ID, { extended: true, fast: true })
const hash = (...parts: Uint8Array[]) => sha1Sync(concatBytes(parts))
const text = (s: string) => utf8Encode(s)
const contains = (hay: Uint8Array, needle: Uint8Array) =>
  hay.some((_, at) => at + needle.length <= hay.length && needle.every((x, k) => hay[at + k] === x))

function initiator(o: Partial<MseInitiatorOptions> = {}, seed = 1): MseInitiator {
  return new MseInitiator({
    infoHash: INFO_HASH,
    provide: CRYPTO_RC4 | CRYPTO_PLAINTEXT,
    initialPayload: IA,
    random: seededRandom(seed),
    ...o,
  })
}
function receiver(o: Partial<MseReceiverOptions> = {}, seed = 2): MseReceiver {
  return new MseReceiver({
    lookup: createSkeyLookup([OTHER_HASH, INFO_HASH]),
    allowed: CRYPTO_RC4 | CRYPTO_PLAINTEXT,
    random: seededRandom(seed),
    ...o,
  })
}

describe('MSE handshake between two of our machines', () => {
  const cases: Array<{ method: 'rc4' | 'plaintext'; pads: [number, number, number, number] }> = []
  for (const method of ['rc4', 'plaintext'] as const) {
    for (const pads of [
      [0, 0, 0, 0],
      [512, 512, 512, 512],
      [512, 0, 512, 0],
      [0, 512, 0, 512],
    ] as Array<[number, number, number, number]>) {
      cases.push({ method, pads })
    }
  }
  it.each(cases)('$method with PadA..PadD = $pads, randomly fragmented', ({ method, pads: [pa, pb, pc, pd] }) => {
    for (let seed = 1; seed <= 6; seed++) {
      const ia = seed % 3 === 0 ? new Uint8Array(0) : IA
      const fromA = text(`after the handshake, from A, seed ${seed}`)
      const fromB = text(`B's bitfield and more, seed ${seed}`)
      const r = runPipe(
        initiator(
          {
            padALength: pa,
            padCLength: pc,
            initialPayload: ia,
            provide: method === 'rc4' ? CRYPTO_RC4 : CRYPTO_PLAINTEXT,
          },
          seed,
        ),
        receiver({ padBLength: pb, padDLength: pd }, seed + 1000),
        { seed, maxFragment: [1, 7, 64, 600, 2000, 97][seed - 1]!, initiatorAfter: fromA, receiverAfter: fromB },
      )
      expect(r.initiator.error).toBeNull()
      expect(r.receiver.error).toBeNull()
      expect(r.initiator.result!.method).toBe(method)
      expect(r.receiver.result!.method).toBe(method)
      expect(r.receiver.result!.infoHash).toEqual(INFO_HASH)
      // The receiver sees IA, then what A sent after; A sees what B sent after step 4.
      expect(r.receiver.payload).toEqual(concatBytes([ia, fromA]))
      expect(r.initiator.payload).toEqual(fromB)
      // Exact sizes on the wire: Ya+PadA+req1+req2^req3+VC+provide+len+PadC+len+IA, Yb+PadB+VC+select+len+PadD.
      expect(r.handshakeBytes.initiator).toBe(96 + pa + 20 + 20 + 8 + 4 + 2 + pc + 2 + ia.length)
      expect(r.handshakeBytes.receiver).toBe(96 + pb + 8 + 4 + 2 + pd)
    }
  })

  it('RC4 really encrypts the payload and the IA; plaintext leaves the payload as it is', () => {
    for (const provide of [CRYPTO_RC4, CRYPTO_PLAINTEXT]) {
      const a = initiator({ provide, padALength: 0, padCLength: 0 })
      const b = receiver({ padBLength: 0, padDLength: 0 })
      const step1 = a.start()
      const step2 = b.push(step1)
      const step3 = a.push(step2.send!)
      // IA is encrypted whatever is selected later: the plain handshake never shows.
      expect(contains(step3.send!, IA.subarray(0, 20))).toBe(false)
      const step4 = b.push(step3.send!)
      expect(step4.state).toBe('done')
      const done = a.push(step4.send!)
      expect(done.state).toBe('done')
      if (done.state !== 'done' || step4.state !== 'done') return
      const payload = text('a piece of payload that is long enough')
      const sent = done.result.cipher.encrypt(payload.slice())
      if (provide === CRYPTO_RC4) expect(sent).not.toEqual(payload)
      else expect(sent).toEqual(payload)
      expect(step4.result.cipher.decrypt(sent)).toEqual(payload)
    }
  })

  it('the receiver prefers RC4 when both are offered, unless told otherwise, and honours what it allows', () => {
    const run = (provide: number, allowed: number, prefer?: 'rc4' | 'plaintext') =>
      runPipe(initiator({ provide }), receiver({ allowed, prefer }), {
        seed: 3,
        maxFragment: 50,
        initiatorAfter: new Uint8Array(0),
        receiverAfter: new Uint8Array(0),
      })
    expect(run(3, 3).receiver.result!.method).toBe('rc4')
    expect(run(3, 3, 'plaintext').receiver.result!.method).toBe('plaintext')
    expect(run(3, CRYPTO_PLAINTEXT).initiator.result!.method).toBe('plaintext')
    expect(run(CRYPTO_RC4, 3, 'plaintext').initiator.result!.method).toBe('rc4')
    const refused = run(CRYPTO_PLAINTEXT, CRYPTO_RC4)
    expect(refused.receiver.error?.code).toBe('no-common-method')
    expect(refused.initiator.result).toBeNull()
  })

  it('random pads by default stay within 0..512 and differ between connections', () => {
    const lengths = new Set<number>()
    for (let seed = 1; seed <= 20; seed++) {
      const n =
        new MseInitiator({ infoHash: INFO_HASH, provide: CRYPTO_RC4, random: seededRandom(seed) }).start().length - 96
      expect(n).toBeGreaterThanOrEqual(0)
      expect(n).toBeLessThanOrEqual(512)
      lengths.add(n)
    }
    expect(lengths.size).toBeGreaterThan(10)
  })

  it('a receiver serving several torrents finds the one asked for', () => {
    const r = runPipe(initiator({ infoHash: OTHER_HASH }), receiver(), {
      seed: 9,
      maxFragment: 33,
      initiatorAfter: new Uint8Array(0),
      receiverAfter: new Uint8Array(0),
    })
    expect(r.receiver.result!.infoHash).toEqual(OTHER_HASH)
  })
})

describe('incoming connections: plain or encrypted', () => {
  it('detects a plain BitTorrent handshake by its first 20 bytes', () => {
    expect(detectIncoming(IA)).toBe('plain')
    expect(detectIncoming(IA.subarray(0, 20))).toBe('plain')
    expect(detectIncoming(IA.subarray(0, 19))).toBe('need-more')
    expect(detectIncoming(new Uint8Array(0))).toBe('need-more')
    expect(detectIncoming(initiator().start())).toBe('encrypted')
    const almost = IA.slice(0, 20)
    almost[19] ^= 1
    expect(detectIncoming(almost)).toBe('encrypted')
  })
})

const u32 = (v: number) => Uint8Array.of(v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255)

/** A hand-built initiator side (independent of MseInitiator) to send what MseInitiator never would. */
function forgedStep3(
  s: Uint8Array,
  skey: Uint8Array,
  o: { provide?: number; padCLength?: number; padC?: number; vc?: Uint8Array; ia?: Uint8Array },
): Uint8Array {
  const padC = new Uint8Array(o.padC ?? o.padCLength ?? 0)
  const ia = o.ia ?? new Uint8Array(0)
  const lenPadC = o.padCLength ?? padC.length
  const body = concatBytes([
    o.vc ?? new Uint8Array(8),
    u32(o.provide ?? CRYPTO_RC4),
    Uint8Array.of(lenPadC >> 8, lenPadC & 255),
    padC,
    Uint8Array.of(ia.length >> 8, ia.length & 255),
    ia,
  ])
  const req2 = hash(text('req2'), skey),
    req3 = hash(text('req3'), s)
  return concatBytes([
    hash(text('req1'), s),
    req2.map((x, i) => x ^ req3[i]!),
    mseRc4(hash(text('keyA'), s, skey)).process(body),
  ])
}

/** A hand-built receiver step 4. */
function forgedStep4(
  s: Uint8Array,
  skey: Uint8Array,
  o: { select?: number; padDLength?: number; padD?: number },
): Uint8Array {
  const lenPadD = o.padDLength ?? 0
  const body = concatBytes([
    new Uint8Array(8),
    u32(o.select ?? CRYPTO_RC4),
    Uint8Array.of(lenPadD >> 8, lenPadD & 255),
    new Uint8Array(o.padD ?? lenPadD),
  ])
  return mseRc4(hash(text('keyB'), s, skey)).process(body)
}

describe('hostile peers end in typed errors', () => {
  it('the forged steps are right: an honest forged initiator and receiver complete against ours', () => {
    const b = receiver({ padBLength: 0 })
    const them = generateKeyPair(seededRandom(77))
    const yb = b.push(them.publicKey).send!
    const s = sharedSecret(them.privateKey, yb.subarray(0, 96))!
    expect(b.push(forgedStep3(s, INFO_HASH, { ia: text('hello') })).state).toBe('done')

    const a = initiator({ provide: CRYPTO_RC4 })
    const ya = a.start()
    const sA = sharedSecret(them.privateKey, ya.subarray(0, 96))!
    a.push(them.publicKey)
    const done = a.push(forgedStep4(sA, INFO_HASH, {}))
    expect(done.state).toBe('done')
  })

  it('receiver: no HASH(req1, S) within 512 + 20 bytes after Ya is no-sync, not a wait', () => {
    const them = generateKeyPair(seededRandom(5))
    const b = receiver()
    b.push(them.publicKey)
    const junk = seededRandom(6)(512 + 20)
    expect(b.push(junk.subarray(0, junk.length - 1)).state).toBe('continue')
    const step = b.push(junk.subarray(junk.length - 1))
    expect(step.state === 'failed' && step.error.code).toBe('no-sync')
    // a failed machine stays failed
    expect(b.push(new Uint8Array(10)).state).toBe('failed')
  })

  it('receiver: PadA of exactly 512 bytes still syncs', () => {
    const them = generateKeyPair(seededRandom(8))
    const b = receiver()
    const yb = b.push(concatBytes([them.publicKey, new Uint8Array(512).fill(0xaa)])).send!
    const s = sharedSecret(them.privateKey, yb.subarray(0, 96))!
    expect(b.push(forgedStep3(s, INFO_HASH, {})).state).toBe('done')
  })

  it('initiator: no ENCRYPT(VC) within 512 + 8 bytes after Yb is no-sync', () => {
    const them = generateKeyPair(seededRandom(9))
    const a = initiator()
    a.start()
    expect(a.push(them.publicKey).state).toBe('continue')
    const junk = new Uint8Array(512 + 8).fill(0x5a)
    expect(a.push(junk.subarray(0, junk.length - 1)).state).toBe('continue')
    const step = a.push(junk.subarray(junk.length - 1))
    expect(step.state === 'failed' && step.error.code).toBe('no-sync')
  })

  it('wrong SKEY: a torrent the receiver does not have is unknown-torrent', () => {
    const r = runPipe(initiator({ infoHash: sha1Sync(text('not served here')) }), receiver(), {
      seed: 4,
      maxFragment: 100,
      initiatorAfter: new Uint8Array(0),
      receiverAfter: new Uint8Array(0),
    })
    expect(r.receiver.error?.code).toBe('unknown-torrent')
    expect(r.initiator.result).toBeNull()
  })

  it('keys that differ (lookup names another torrent than the peer used) give bad-vc', () => {
    const r = runPipe(initiator(), receiver({ lookup: () => OTHER_HASH }), {
      seed: 4,
      maxFragment: 100,
      initiatorAfter: new Uint8Array(0),
      receiverAfter: new Uint8Array(0),
    })
    expect(r.receiver.error?.code).toBe('bad-vc')
  })

  it('bad lengths: len(PadC) or len(PadD) over 512', () => {
    const them = generateKeyPair(seededRandom(10))
    const b = receiver()
    const s = sharedSecret(them.privateKey, b.push(them.publicKey).send!.subarray(0, 96))!
    const step = b.push(forgedStep3(s, INFO_HASH, { padCLength: 513 }))
    expect(step.state === 'failed' && step.error.code).toBe('bad-pad-length')

    const a = initiator({ provide: CRYPTO_RC4 })
    const sA = sharedSecret(them.privateKey, a.start().subarray(0, 96))!
    a.push(them.publicKey)
    const stepA = a.push(forgedStep4(sA, INFO_HASH, { padDLength: 0xffff, padD: 0 }))
    expect(stepA.state === 'failed' && stepA.error.code).toBe('bad-pad-length')
  })

  it('a crypto_select we did not offer, or more than one method, is bad-crypto-select', () => {
    for (const select of [CRYPTO_PLAINTEXT, CRYPTO_RC4 | CRYPTO_PLAINTEXT, 0, 0x80000002]) {
      const them = generateKeyPair(seededRandom(11))
      const a = initiator({ provide: CRYPTO_RC4 })
      const s = sharedSecret(them.privateKey, a.start().subarray(0, 96))!
      a.push(them.publicKey)
      const step = a.push(forgedStep4(s, INFO_HASH, { select }))
      expect(step.state === 'failed' && step.error.code, `select ${select}`).toBe('bad-crypto-select')
    }
  })

  it('degenerate public keys are bad-public-key on both sides', () => {
    for (const y of [0n, 1n, DH_PRIME - 1n]) {
      const step = receiver().push(bigIntToBytes(y, 96))
      expect(step.state === 'failed' && step.error.code).toBe('bad-public-key')
      const a = initiator()
      a.start()
      const stepA = a.push(bigIntToBytes(y, 96))
      expect(stepA.state === 'failed' && stepA.error.code).toBe('bad-public-key')
    }
  })

  it('garbage: random streams never complete a handshake and never make a side wait past its bound', () => {
    const rnd = seededRandom(12)
    for (let i = 0; i < 30; i++) {
      const junk = rnd(96 + 600)
      const b = receiver({}, 100 + i)
      const stepB = b.push(junk)
      expect(stepB.state).toBe('failed')
      const a = initiator({}, 200 + i)
      a.start()
      const stepA = a.push(junk)
      expect(stepA.state).toBe('failed')
    }
  })

  it('refuses bad options before any byte is sent', () => {
    expect(() => initiator({ provide: 0 })).toThrow(RangeError)
    expect(() => initiator({ provide: 4 })).toThrow(RangeError)
    expect(() => initiator({ padALength: 513 })).toThrow(RangeError)
    expect(() => initiator({ infoHash: new Uint8Array(19) })).toThrow(RangeError)
    expect(() => initiator({ initialPayload: new Uint8Array(65536) })).toThrow(RangeError)
    expect(() => receiver({ allowed: 0 })).toThrow(RangeError)
  })

  it('req2Hash is SHA-1 of "req2" and the info-hash', () => {
    expect(req2Hash(INFO_HASH)).toEqual(hash(text('req2'), INFO_HASH))
  })
})
