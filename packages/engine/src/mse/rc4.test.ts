import { describe, expect, it } from 'vitest'
import { utf8Encode } from '../util/bytes.ts'
import { fromHex, toHex } from '../util/hex.ts'
import { mseRc4, Rc4 } from './rc4.ts'

// Keystream vectors: RFC 6229 (key 0x0102030405) and, for a 20-byte key after the 1024-byte discard,
// OpenSSL's RC4 (`node --openssl-legacy-provider`).
const RFC6229_40BIT: Array<[number, string]> = [
  [0, 'b2396305f03dc027ccc3524a0a1118a8'],
  [16, '6982944f18fc82d589c403a47a0d0919'],
  [240, '28cb1132c96ce286421dcaadb8b69eae'],
  [256, '1cfcf62b03eddb641d77dfcf7f8d8c93'],
  [1008, '45129048e6a0ed0b56b490338f078da5'],
  [1024, '30abbcc7c20b01609f23ee2d5f6bb7df'],
  [1520, '3294f744d8f9790507e70f62e5bbceea'],
  [4080, '068326a2118416d21f9d04b2cd1ca050'],
  [4096, 'ff25b58995996707e51fbdf08b34d875'],
]

describe('RC4', () => {
  it('matches RFC 6229 keystream at each listed offset', () => {
    const ks = new Rc4(fromHex('0102030405')).process(new Uint8Array(4112))
    for (const [offset, hex] of RFC6229_40BIT)
      expect(toHex(ks.subarray(offset, offset + 16)), `offset ${offset}`).toBe(hex)
  })

  it('encrypts the classic plaintext vectors', () => {
    expect(toHex(new Rc4(utf8Encode('Key')).process(utf8Encode('Plaintext')))).toBe('bbf316e8d940af0ad3')
    expect(toHex(new Rc4(utf8Encode('Wiki')).process(utf8Encode('pedia')))).toBe('1021bf0420')
    expect(toHex(new Rc4(utf8Encode('Secret')).process(utf8Encode('Attack at dawn')))).toBe(
      '45a01f645fc35b383552544b9bf5',
    )
  })

  it('MSE RC4 discards the first 1024 bytes (20-byte key, OpenSSL keystream from offset 1024)', () => {
    const key = Uint8Array.from({ length: 20 }, (_, i) => i)
    expect(toHex(mseRc4(key).process(new Uint8Array(48)))).toBe(
      'cb84e3c95ede7bb7651390078ae97777bdd3ee89dabafaf3b97aee6290b88d8cdc0eecfa85167f164e2f27c1473cd4af',
    )
    // skip() and the constructor's discard advance exactly like producing output
    const a = new Rc4(fromHex('0102030405'))
    a.skip(1008)
    expect(toHex(a.process(new Uint8Array(16)))).toBe('45129048e6a0ed0b56b490338f078da5')
  })

  it('works in place, in fragments of any size, and decrypts what it encrypted', () => {
    const key = utf8Encode('fragment key')
    const plain = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7 + 3) & 255)
    const whole = new Rc4(key, 1024).process(plain, new Uint8Array(plain.length))
    const inPlace = plain.slice()
    const enc = new Rc4(key, 1024)
    for (let at = 0, step = 1; at < inPlace.length; at += step, step = ((step * 3 + 1) % 700) + 1) {
      enc.process(inPlace.subarray(at, Math.min(at + step, inPlace.length)))
    }
    expect(inPlace).toEqual(whole)
    expect(new Rc4(key, 1024).process(inPlace)).toEqual(plain)
  })

  it('refuses an empty or over-long key and a short output', () => {
    expect(() => new Rc4(new Uint8Array(0))).toThrow(RangeError)
    expect(() => new Rc4(new Uint8Array(257))).toThrow(RangeError)
    expect(() => new Rc4(new Uint8Array(1)).process(new Uint8Array(4), new Uint8Array(3))).toThrow(RangeError)
  })

  it('continues from a snapshot with the same keystream, independently of the original', () => {
    const key = utf8Encode('snapshot key')
    const a = mseRc4(key)
    a.process(new Uint8Array(777))
    const state = a.snapshot()
    expect(state.s.length).toBe(256)
    const b = Rc4.fromState({ s: state.s.slice(), i: state.i, j: state.j })
    const fromA = a.process(new Uint8Array(3000))
    const fromB = b.process(new Uint8Array(3000))
    expect(fromB).toEqual(fromA)
    // The snapshot is a copy: the original moved on, the snapshot still starts at byte 777.
    expect(Rc4.fromState(state).process(new Uint8Array(3000))).toEqual(fromA)
    const ref = mseRc4(key)
    ref.skip(777)
    expect(ref.process(new Uint8Array(3000))).toEqual(fromA)
  })

  it('refuses a state that is not an RC4 permutation', () => {
    const s = Uint8Array.from({ length: 256 }, (_, k) => k)
    expect(() => Rc4.fromState({ s: s.subarray(0, 255), i: 0, j: 0 })).toThrow(RangeError)
    expect(() => Rc4.fromState({ s, i: 256, j: 0 })).toThrow(RangeError)
    const dup = s.slice()
    dup[7] = 8
    expect(() => Rc4.fromState({ s: dup, i: 0, j: 0 })).toThrow(RangeError)
  })
})
