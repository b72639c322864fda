/**
 * MSE's Diffie-Hellman: the 768-bit prime of RFC 2409's first Oakley group, generator 2, 160-bit private
 * keys. Public keys and the shared secret travel as 96-byte big-endian numbers (leading zeros kept).
 * BigInt square-and-multiply: a 160-bit exponent costs about 240 multiplications of 768-bit numbers.
 */
export const DH_PRIME = BigInt(
  '0xFFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404' +
    'DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A63A36210000000000090563',
)
export const DH_GENERATOR = 2n
/** Bytes of a public key or shared secret on the wire. */
export const DH_KEY_BYTES = 96
/** MSE's private keys are 160 bits. */
export const DH_PRIVATE_BYTES = 20

export type RandomBytes = (n: number) => Uint8Array

export const cryptoRandomBytes: RandomBytes = (n) => crypto.getRandomValues(new Uint8Array(n))

export function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n
  let b = base % modulus
  let e = exponent
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus
    b = (b * b) % modulus
    e >>= 1n
  }
  return result
}

export function bytesToBigInt(bytes: Uint8Array): bigint {
  let hex = '0x0'
  for (const b of bytes) hex += (b < 16 ? '0' : '') + b.toString(16)
  return BigInt(hex)
}

/** Big-endian, left-padded with zeros to `length` bytes. */
export function bigIntToBytes(n: bigint, length: number): Uint8Array {
  const hex = n.toString(16)
  if (hex.length > length * 2) throw new RangeError(`number does not fit in ${length} bytes`)
  const padded = hex.padStart(length * 2, '0')
  const out = new Uint8Array(length)
  for (let i = 0; i < length; i++) out[i] = parseInt(padded.slice(i * 2, i * 2 + 2), 16)
  return out
}

export interface DhKeyPair {
  privateKey: bigint
  /** Y = G^X mod P, 96 bytes. */
  publicKey: Uint8Array
}

export function generateKeyPair(random: RandomBytes = cryptoRandomBytes): DhKeyPair {
  let privateKey = 0n
  // A zero key (probability 2^-160) would give Y = 1; draw again rather than send it.
  while (privateKey === 0n) privateKey = bytesToBigInt(random(DH_PRIVATE_BYTES))
  return { privateKey, publicKey: bigIntToBytes(modPow(DH_GENERATOR, privateKey, DH_PRIME), DH_KEY_BYTES) }
}

/**
 * S = Y^X mod P as 96 bytes, or null when the peer's key is degenerate (0, 1 or P-1 and beyond force S
 * into a tiny set an observer could guess, so such a peer is refused).
 */
export function sharedSecret(privateKey: bigint, peerPublicKey: Uint8Array): Uint8Array | null {
  if (peerPublicKey.length !== DH_KEY_BYTES) return null
  const y = bytesToBigInt(peerPublicKey)
  if (y < 2n || y > DH_PRIME - 2n) return null
  return bigIntToBytes(modPow(y, privateKey, DH_PRIME), DH_KEY_BYTES)
}
