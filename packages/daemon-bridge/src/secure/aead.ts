import { chacha20poly1305 } from '@noble/ciphers/chacha.js'

/** Bytes of the Poly1305 tag every sealed message carries. */
export const TAG_BYTES = 16

/**
 * ChaCha20-Poly1305 (RFC 8439) with a 64-bit counter nonce, Noise style: 4 zero bytes, then the counter
 * little-endian. `open` returns null on any authentication failure (wrong key, flipped bit, wrong
 * counter, so a replayed or reordered message fails too).
 */
export interface Aead {
  seal(counter: number, plaintext: Uint8Array, ad?: Uint8Array): Uint8Array
  /**
   * The same sealed message as two parts (ciphertext, tag), for a sender that can write them as two
   * fragments of one WebSocket message without joining them first (optional).
   */
  sealParts?(counter: number, plaintext: Uint8Array): [Uint8Array, Uint8Array]
  open(counter: number, sealed: Uint8Array, ad?: Uint8Array): Uint8Array | null
}

/** Makes an Aead for a 32-byte key. Node passes its OpenSSL one (node/aead-node.ts); the default is noble's. */
export type AeadFactory = (key: Uint8Array) => Aead

export function counterNonce(counter: number): Uint8Array {
  const n = new Uint8Array(12)
  // Counters stay below 2^53 (Number): far more messages than a connection ever carries.
  new DataView(n.buffer).setUint32(4, counter >>> 0, true)
  new DataView(n.buffer).setUint32(8, Math.floor(counter / 0x1_0000_0000), true)
  return n
}

/** Pure-JS ChaCha20-Poly1305 from @noble/ciphers (audited); works in browsers and workers. */
export const nobleAead: AeadFactory = (key) => {
  const k = key.slice()
  return {
    seal: (counter, plaintext, ad) => chacha20poly1305(k, counterNonce(counter), ad).encrypt(plaintext),
    open: (counter, sealed, ad) => {
      try {
        return chacha20poly1305(k, counterNonce(counter), ad).decrypt(sealed)
      } catch {
        return null // authentication failed: the caller refuses the message
      }
    },
  }
}
