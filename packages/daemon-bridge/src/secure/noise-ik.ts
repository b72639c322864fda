import { x25519 } from '@noble/curves/ed25519.js'
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { type Aead, nobleAead, TAG_BYTES } from './aead.ts'

/**
 * Noise_IK_25519_ChaChaPoly_SHA256 (noiseprotocol.org rev 34), the handshake of every connection after
 * pairing. The client knows the daemon's static key from pairing and sends its own, encrypted:
 *   -> e, es, s, ss        (message 1)
 *   <- e, ee, se           (message 2)
 * Each side proves it holds its static private key; nothing a passive observer sees names the client.
 */
export const NOISE_PROTOCOL_NAME = 'Noise_IK_25519_ChaChaPoly_SHA256'
export const NOISE_PROLOGUE = new TextEncoder().encode('tidepool-companion-v1')
export const DH_BYTES = 32

export interface KeyPair {
  secretKey: Uint8Array
  publicKey: Uint8Array
}

export function generateKeyPair(): KeyPair {
  const { secretKey, publicKey } = x25519.keygen()
  return { secretKey, publicKey }
}

export function publicKeyOf(secretKey: Uint8Array): Uint8Array {
  return x25519.getPublicKey(secretKey)
}

function dh(secret: Uint8Array, pub: Uint8Array): Uint8Array {
  // noble refuses low-order points (an all-zero shared secret): such a peer key fails the handshake.
  return x25519.getSharedSecret(secret, pub)
}

function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0
  for (const p of parts) n += p.length
  const out = new Uint8Array(n)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/** Noise's HKDF: two or three 32-byte outputs chained from `ck`. */
function hkdf2(ck: Uint8Array, ikm: Uint8Array): [Uint8Array, Uint8Array] {
  const temp = hmac(sha256, ck, ikm)
  const o1 = hmac(sha256, temp, Uint8Array.of(1))
  const o2 = hmac(sha256, temp, concat(o1, Uint8Array.of(2)))
  return [o1, o2]
}

class SymmetricState {
  ck: Uint8Array
  h: Uint8Array
  private k: Aead | null = null
  private n = 0

  constructor() {
    const name = new TextEncoder().encode(NOISE_PROTOCOL_NAME)
    this.h = name.length <= 32 ? concat(name, new Uint8Array(32 - name.length)) : sha256(name)
    this.ck = this.h
  }

  mixHash(data: Uint8Array): void {
    this.h = sha256(concat(this.h, data))
  }

  mixKey(ikm: Uint8Array): void {
    const [ck, k] = hkdf2(this.ck, ikm)
    this.ck = ck
    this.k = nobleAead(k)
    this.n = 0
  }

  encryptAndHash(plaintext: Uint8Array): Uint8Array {
    const c = this.k ? this.k.seal(this.n++, plaintext, this.h) : plaintext
    this.mixHash(c)
    return c
  }

  decryptAndHash(c: Uint8Array): Uint8Array | null {
    const p = this.k ? this.k.open(this.n++, c, this.h) : c
    if (p) this.mixHash(c)
    return p
  }

  split(): [Uint8Array, Uint8Array] {
    return hkdf2(this.ck, new Uint8Array(0))
  }
}

/** Both directions' transport keys and the handshake hash (a channel binding both sides share). */
export interface NoiseResult {
  sendKey: Uint8Array
  recvKey: Uint8Array
  handshakeHash: Uint8Array
}

export class HandshakeError extends Error {}

/** Message 1 is e (32) + sealed s (48) + sealed payload (16 + payload). */
export const IK_MSG1_MIN = DH_BYTES + DH_BYTES + TAG_BYTES + TAG_BYTES

/** The client (initiator) side: `writeMessage1`, then `readMessage2` gives the keys. */
export class IkInitiator {
  private readonly ss = new SymmetricState()
  private e: KeyPair | null = null

  constructor(
    private readonly s: KeyPair,
    private readonly rs: Uint8Array,
    prologue: Uint8Array = NOISE_PROLOGUE,
  ) {
    this.ss.mixHash(prologue)
    this.ss.mixHash(rs)
  }

  writeMessage1(payload: Uint8Array = new Uint8Array(0), ephemeral: KeyPair = generateKeyPair()): Uint8Array {
    this.e = ephemeral
    const { ss } = this
    ss.mixHash(this.e.publicKey)
    ss.mixKey(dh(this.e.secretKey, this.rs))
    const sealedS = ss.encryptAndHash(this.s.publicKey)
    ss.mixKey(dh(this.s.secretKey, this.rs))
    return concat(this.e.publicKey, sealedS, ss.encryptAndHash(payload))
  }

  readMessage2(msg: Uint8Array): { result: NoiseResult; payload: Uint8Array } {
    if (!this.e) throw new HandshakeError('message 1 not written')
    if (msg.length < DH_BYTES + TAG_BYTES) throw new HandshakeError('handshake reply too short')
    const { ss } = this
    const re = msg.subarray(0, DH_BYTES)
    ss.mixHash(re)
    ss.mixKey(dh(this.e.secretKey, re))
    ss.mixKey(dh(this.s.secretKey, re))
    const payload = ss.decryptAndHash(msg.subarray(DH_BYTES))
    if (!payload) throw new HandshakeError('daemon failed to authenticate')
    const [k1, k2] = ss.split()
    return { result: { sendKey: k1, recvKey: k2, handshakeHash: ss.h }, payload }
  }
}

/**
 * The daemon (responder) side. `readMessage1` learns the client's static key; the caller checks it
 * against the paired list before `writeMessage2`.
 */
export class IkResponder {
  private readonly ss = new SymmetricState()
  private re: Uint8Array | null = null
  private rs: Uint8Array | null = null

  constructor(
    private readonly s: KeyPair,
    prologue: Uint8Array = NOISE_PROLOGUE,
  ) {
    this.ss.mixHash(prologue)
    this.ss.mixHash(s.publicKey)
  }

  /** Throws HandshakeError when the message does not authenticate (not for this daemon, tampered). */
  readMessage1(msg: Uint8Array): { clientStatic: Uint8Array; clientEphemeral: Uint8Array; payload: Uint8Array } {
    if (msg.length < IK_MSG1_MIN) throw new HandshakeError('handshake too short')
    const { ss } = this
    const re = Uint8Array.from(msg.subarray(0, DH_BYTES))
    ss.mixHash(re)
    ss.mixKey(dhOrThrow(this.s.secretKey, re))
    const rs = ss.decryptAndHash(msg.subarray(DH_BYTES, DH_BYTES * 2 + TAG_BYTES))
    if (!rs) throw new HandshakeError('handshake does not authenticate')
    ss.mixKey(dhOrThrow(this.s.secretKey, rs))
    const payload = ss.decryptAndHash(msg.subarray(DH_BYTES * 2 + TAG_BYTES))
    if (!payload) throw new HandshakeError('handshake does not authenticate')
    this.re = re
    this.rs = rs.slice()
    return { clientStatic: this.rs, clientEphemeral: re, payload }
  }

  writeMessage2(
    payload: Uint8Array = new Uint8Array(0),
    e: KeyPair = generateKeyPair(),
  ): { message: Uint8Array; result: NoiseResult } {
    if (!this.re || !this.rs) throw new HandshakeError('message 1 not read')
    const { ss } = this
    ss.mixHash(e.publicKey)
    ss.mixKey(dh(e.secretKey, this.re))
    ss.mixKey(dh(e.secretKey, this.rs))
    const message = concat(e.publicKey, ss.encryptAndHash(payload))
    const [k1, k2] = ss.split()
    return { message, result: { sendKey: k2, recvKey: k1, handshakeHash: ss.h } }
  }
}

function dhOrThrow(secret: Uint8Array, pub: Uint8Array): Uint8Array {
  try {
    return dh(secret, pub)
  } catch {
    throw new HandshakeError('invalid public key')
  }
}

export { concat as concatBytes }
