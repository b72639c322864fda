import { describe, expect, it } from 'vitest'
import { xorshift } from '../util/fuzz.ts'
import { bigIntToBytes, bytesToBigInt, DH_KEY_BYTES, DH_PRIME, generateKeyPair, modPow, sharedSecret } from './dh.ts'

const seeded = (seed: number) => {
  const rnd = xorshift(seed)
  return (n: number) => Uint8Array.from({ length: n }, () => Math.floor(rnd() * 256))
}

describe('MSE Diffie-Hellman', () => {
  it('uses the 768-bit prime', () => {
    expect(DH_PRIME.toString(2).length).toBe(768)
    // Fermat check with a few bases: a typo in the constant would almost surely fail it.
    for (const a of [2n, 3n, 5n, 7n]) expect(modPow(a, DH_PRIME - 1n, DH_PRIME)).toBe(1n)
  })

  it('modPow agrees with small known values', () => {
    expect(modPow(4n, 13n, 497n)).toBe(445n)
    expect(modPow(2n, 0n, 7n)).toBe(1n)
    expect(modPow(3n, 200n, 1000000007n)).toBe(3n ** 200n % 1000000007n)
  })

  it('two parties agree on the same 96-byte secret; a third does not', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const a = generateKeyPair(seeded(seed)),
        b = generateKeyPair(seeded(seed + 100)),
        c = generateKeyPair(seeded(seed + 200))
      expect(a.publicKey.length).toBe(DH_KEY_BYTES)
      const sa = sharedSecret(a.privateKey, b.publicKey)!
      const sb = sharedSecret(b.privateKey, a.publicKey)!
      expect(sa.length).toBe(DH_KEY_BYTES)
      expect(sa).toEqual(sb)
      expect(sharedSecret(c.privateKey, a.publicKey)).not.toEqual(sa)
    }
  })

  it('private keys come from the random source: 160 bits', () => {
    const k = generateKeyPair(() => new Uint8Array(20).fill(0xff))
    expect(k.privateKey).toBe(2n ** 160n - 1n)
    expect(bytesToBigInt(k.publicKey)).toBe(modPow(2n, 2n ** 160n - 1n, DH_PRIME))
  })

  it('refuses degenerate or malformed peer keys', () => {
    const { privateKey } = generateKeyPair()
    for (const y of [0n, 1n, DH_PRIME - 1n, DH_PRIME])
      expect(sharedSecret(privateKey, bigIntToBytes(y, 96)), String(y)).toBeNull()
    expect(sharedSecret(privateKey, new Uint8Array(95).fill(7))).toBeNull()
    expect(sharedSecret(privateKey, new Uint8Array(96).fill(0xff))).toBeNull()
  })

  it('keeps leading zeros in the byte form', () => {
    expect(bigIntToBytes(1n, 4)).toEqual(Uint8Array.of(0, 0, 0, 1))
    expect(bytesToBigInt(Uint8Array.of(0, 0, 1, 0))).toBe(256n)
    expect(() => bigIntToBytes(1n << 32n, 4)).toThrow(RangeError)
  })
})
