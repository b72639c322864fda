/**
 * The Message Stream Encryption handshake (MSE/PE, the "obfuscation" protocol of Azureus/libtorrent),
 * sans-I/O: the caller feeds received bytes to push(), sends what it returns, and owns the socket and
 * the timeout. Both roles:
 *
 *   1 A->B: Ya, PadA
 *   2 B->A: Yb, PadB
 *   3 A->B: HASH('req1', S), HASH('req2', SKEY) xor HASH('req3', S),
 *           ENCRYPT(VC, crypto_provide, len(PadC), PadC, len(IA)), ENCRYPT(IA)
 *   4 B->A: ENCRYPT(VC, crypto_select, len(PadD), PadD), then the payload (RC4 or plaintext)
 *
 * Y are 96-byte DH public keys, S the shared secret, SKEY the torrent's info-hash, HASH SHA-1, VC eight
 * zero bytes, pads at most 512 bytes, ENCRYPT RC4 keyed with HASH('keyA', S, SKEY) from A and
 * HASH('keyB', S, SKEY) from B, first 1024 bytes discarded. IA (A's initial payload, normally its
 * BitTorrent handshake) is always RC4-encrypted, even when plaintext is selected for what follows.
 * Neither side knows the other's pad length, so each finds its place by searching: B for
 * HASH('req1', S) within 512 + 20 bytes after Ya, A for ENCRYPT(VC) within 512 + 8 bytes after Yb.
 */
import { concatBytes, utf8Encode } from '../util/bytes.ts'
import { toHex } from '../util/hex.ts'
import { sha1Sync } from '../util/sha1-sync.ts'
import { cryptoRandomBytes, DH_KEY_BYTES, generateKeyPair, sharedSecret, type DhKeyPair, type RandomBytes } from './dh.ts'
import { mseRc4, type Rc4 } from './rc4.ts'
import { PLAINTEXT_CIPHER, rc4Cipher, type StreamCipher } from './stream-cipher.ts'

/** crypto_provide / crypto_select bits. */
export const CRYPTO_PLAINTEXT = 0x01
export const CRYPTO_RC4 = 0x02
export const MAX_PAD = 512
export const MAX_INITIAL_PAYLOAD = 0xffff
const VC_LENGTH = 8
const HASH_LENGTH = 20

export type MseMethod = 'plaintext' | 'rc4'

export type MseErrorCode =
  /** The peer's DH public key is 0, 1, P-1 or larger. */
  | 'bad-public-key'
  /** HASH('req1', S) (receiver) or ENCRYPT(VC) (initiator) not found within the pad bound: not MSE. */
  | 'no-sync'
  /** HASH('req2', SKEY) names no torrent we have (or the peer derived another S). */
  | 'unknown-torrent'
  /** The verification constant did not decrypt to zeros: the keys differ. */
  | 'bad-vc'
  /** len(PadC) or len(PadD) above 512. */
  | 'bad-pad-length'
  /** The initiator offered no method the receiver allows. */
  | 'no-common-method'
  /** The receiver selected a method we did not offer, or more or fewer than one. */
  | 'bad-crypto-select'

export class MseError extends Error {
  constructor(readonly code: MseErrorCode, message: string) {
    super(message)
    this.name = 'MseError'
  }
}

export interface MseResult {
  method: MseMethod
  /** SKEY: the initiator's own, or the one the receiver found through its lookup. */
  infoHash: Uint8Array
  cipher: StreamCipher
  /**
   * Decrypted bytes already received past the handshake: the receiver gets the initiator's IA followed
   * by any payload that came with it; they are the start of the peer's BitTorrent stream.
   */
  received: Uint8Array
}

export type MseStep =
  | { state: 'continue'; send: Uint8Array | null }
  | { state: 'done'; send: Uint8Array | null; result: MseResult }
  | { state: 'failed'; send: null; error: MseError }

export interface MseInitiatorOptions {
  /** SKEY: the info-hash of the torrent we want from this peer. */
  infoHash: Uint8Array
  /** Bitmask of CRYPTO_RC4 / CRYPTO_PLAINTEXT we accept. */
  provide: number
  /** IA: sent encrypted inside the handshake, normally our 68-byte BitTorrent handshake. */
  initialPayload?: Uint8Array
  /** Default: random 0..512 bytes. */
  padALength?: number
  /** Default 0 (PadC is reserved, zeros). */
  padCLength?: number
  random?: RandomBytes
}

export interface MseReceiverOptions {
  /** From HASH('req2', SKEY) to the info-hash of a torrent we serve; `createSkeyLookup` builds one. */
  lookup: (req2: Uint8Array) => Uint8Array | undefined
  /** Bitmask of methods we accept from an initiator. */
  allowed: number
  /** When the initiator offers both and both are allowed. Default RC4. */
  prefer?: MseMethod
  /** Default: random 0..512 bytes. */
  padBLength?: number
  /** Default 0 (PadD is reserved, zeros). */
  padDLength?: number
  random?: RandomBytes
}

const REQ1 = utf8Encode('req1')
const REQ2 = utf8Encode('req2')
const REQ3 = utf8Encode('req3')
const KEY_A = utf8Encode('keyA')
const KEY_B = utf8Encode('keyB')

const hash = (...parts: Uint8Array[]): Uint8Array => sha1Sync(concatBytes(parts))

/** HASH('req2', SKEY): how the initiator names its torrent to the receiver. */
export function req2Hash(infoHash: Uint8Array): Uint8Array {
  return hash(REQ2, infoHash)
}

/** A receiver lookup over a fixed set of info-hashes (rebuild it when torrents come and go). */
export function createSkeyLookup(infoHashes: Iterable<Uint8Array>): (req2: Uint8Array) => Uint8Array | undefined {
  const byReq2 = new Map<string, Uint8Array>()
  for (const ih of infoHashes) byReq2.set(toHex(req2Hash(ih)), ih)
  return (req2) => byReq2.get(toHex(req2))
}

const PLAIN_PREFIX = concatBytes([Uint8Array.of(19), utf8Encode('BitTorrent protocol')])

/**
 * An incoming connection's first bytes: a plain BitTorrent handshake starts with "\x13BitTorrent
 * protocol"; anything else is taken as MSE's Ya. 'need-more' while the bytes so far match the prefix.
 */
export function detectIncoming(first: Uint8Array): 'plain' | 'encrypted' | 'need-more' {
  const n = Math.min(first.length, PLAIN_PREFIX.length)
  for (let i = 0; i < n; i++) if (first[i] !== PLAIN_PREFIX[i]) return 'encrypted'
  return n === PLAIN_PREFIX.length ? 'plain' : 'need-more'
}

function methodBit(m: MseMethod): number {
  return m === 'rc4' ? CRYPTO_RC4 : CRYPTO_PLAINTEXT
}

function checkMethods(mask: number, what: string): void {
  if (!Number.isInteger(mask) || (mask & (CRYPTO_RC4 | CRYPTO_PLAINTEXT)) === 0 || (mask & ~3) !== 0) {
    throw new RangeError(`${what} must be a non-empty mask of CRYPTO_RC4 and CRYPTO_PLAINTEXT`)
  }
}

function padLength(given: number | undefined, random: RandomBytes, fallbackRandom: boolean): number {
  if (given === undefined) {
    if (!fallbackRandom) return 0
    const r = random(2)
    return ((r[0]! << 8) | r[1]!) % (MAX_PAD + 1)
  }
  if (!Number.isInteger(given) || given < 0 || given > MAX_PAD) throw new RangeError(`pad length must be 0..${MAX_PAD}`)
  return given
}

/** Received bytes not yet consumed by the handshake; chunks are copied, so decrypting in place is safe. */
class InputBuffer {
  private buf = new Uint8Array(1024)
  private start = 0
  private end = 0

  append(chunk: Uint8Array): void {
    if (this.end + chunk.length > this.buf.length) {
      const live = this.end - this.start
      const next = live + chunk.length > this.buf.length ? new Uint8Array(Math.max(this.buf.length * 2, live + chunk.length)) : this.buf
      next.set(this.buf.subarray(this.start, this.end))
      this.buf = next
      this.start = 0
      this.end = live
    }
    this.buf.set(chunk, this.end)
    this.end += chunk.length
  }

  get available(): number {
    return this.end - this.start
  }

  /** The next n bytes, consumed. A view: valid until the next append. */
  take(n: number): Uint8Array {
    const out = this.buf.subarray(this.start, this.start + n)
    this.start += n
    return out
  }

  skip(n: number): void {
    this.start += n
  }

  /** Offset of `pattern` from the read position, searching starts at offsets 0..maxOffset; -1 if absent. */
  find(pattern: Uint8Array, maxOffset: number): number {
    const last = Math.min(maxOffset, this.available - pattern.length)
    outer: for (let off = 0; off <= last; off++) {
      for (let k = 0; k < pattern.length; k++) if (this.buf[this.start + off + k] !== pattern[k]) continue outer
      return off
    }
    return -1
  }

  /** Everything left, as a copy the caller owns. */
  drain(): Uint8Array {
    const out = this.buf.slice(this.start, this.end)
    this.start = this.end
    return out
  }
}

abstract class MseHandshakeBase {
  protected readonly input = new InputBuffer()
  protected readonly random: RandomBytes
  protected readonly keys: DhKeyPair
  private failure: MseError | null = null
  private finished = false

  constructor(random: RandomBytes | undefined) {
    this.random = random ?? cryptoRandomBytes
    this.keys = generateKeyPair(this.random)
  }

  /** Feeds received bytes; answers what to send and whether the handshake is done or failed. */
  push(chunk: Uint8Array): MseStep {
    if (this.failure) return { state: 'failed', send: null, error: this.failure }
    if (this.finished) throw new Error('MSE handshake already finished: decrypt further bytes with its cipher')
    this.input.append(chunk)
    const out: Uint8Array[] = []
    try {
      const result = this.advance(out)
      const send = out.length === 0 ? null : out.length === 1 ? out[0]! : concatBytes(out)
      if (!result) return { state: 'continue', send }
      this.finished = true
      return { state: 'done', send, result }
    } catch (e) {
      if (!(e instanceof MseError)) throw e
      this.failure = e
      return { state: 'failed', send: null, error: e }
    }
  }

  /** Runs as far as the buffered bytes allow, appending what to send; the result once done. */
  protected abstract advance(out: Uint8Array[]): MseResult | null

  protected secretFrom(peerKey: Uint8Array): Uint8Array {
    const s = sharedSecret(this.keys.privateKey, peerKey)
    if (!s) throw new MseError('bad-public-key', 'peer sent a degenerate Diffie-Hellman public key')
    return s
  }

  protected padBytes(length: number): Uint8Array {
    return length === 0 ? new Uint8Array(0) : this.random(length)
  }
}

type InitiatorState = 'yb' | 'vc' | 'select' | 'pad-d'

export class MseInitiator extends MseHandshakeBase {
  private state: InitiatorState = 'yb'
  private readonly opts: MseInitiatorOptions
  private readonly padA: number
  private readonly padC: number
  private encrypt: Rc4 | null = null
  private decrypt: Rc4 | null = null
  private expectedVc: Uint8Array | null = null
  private selected = 0
  private padDLength = 0

  constructor(opts: MseInitiatorOptions) {
    super(opts.random)
    if (opts.infoHash.length !== HASH_LENGTH) throw new RangeError('SKEY must be a 20-byte info-hash')
    checkMethods(opts.provide, 'provide')
    if ((opts.initialPayload?.length ?? 0) > MAX_INITIAL_PAYLOAD) throw new RangeError('initial payload over 65535 bytes')
    this.opts = opts
    this.padA = padLength(opts.padALength, this.random, true)
    this.padC = padLength(opts.padCLength, this.random, false)
  }

  /** Step 1: Ya and PadA, to send as soon as the connection is up. */
  start(): Uint8Array {
    return concatBytes([this.keys.publicKey, this.padBytes(this.padA)])
  }

  protected advance(out: Uint8Array[]): MseResult | null {
    const input = this.input
    for (;;) {
      switch (this.state) {
        case 'yb': {
          if (input.available < DH_KEY_BYTES) return null
          const s = this.secretFrom(input.take(DH_KEY_BYTES))
          out.push(this.step3(s))
          this.state = 'vc'
          break
        }
        case 'vc': {
          // PadB is 0..512 random bytes, then ENCRYPT(VC): search for it, no further.
          const at = input.find(this.expectedVc!, MAX_PAD)
          if (at < 0) {
            if (input.available >= MAX_PAD + VC_LENGTH) throw new MseError('no-sync', 'no ENCRYPT(VC) within 520 bytes after Yb')
            return null
          }
          input.skip(at + VC_LENGTH)
          this.state = 'select'
          break
        }
        case 'select': {
          if (input.available < 6) return null
          const b = this.decrypt!.process(input.take(6))
          const select = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0
          if ((select !== CRYPTO_RC4 && select !== CRYPTO_PLAINTEXT) || (select & this.opts.provide) === 0) {
            throw new MseError('bad-crypto-select', `peer selected method 0x${select.toString(16)}, we offered 0x${this.opts.provide.toString(16)}`)
          }
          this.selected = select
          this.padDLength = (b[4]! << 8) | b[5]!
          if (this.padDLength > MAX_PAD) throw new MseError('bad-pad-length', `len(PadD) ${this.padDLength} over ${MAX_PAD}`)
          this.state = 'pad-d'
          break
        }
        case 'pad-d': {
          if (input.available < this.padDLength) return null
          this.decrypt!.process(input.take(this.padDLength))
          const rc4 = this.selected === CRYPTO_RC4
          const cipher = rc4 ? rc4Cipher(this.encrypt!, this.decrypt!) : PLAINTEXT_CIPHER
          return { method: rc4 ? 'rc4' : 'plaintext', infoHash: this.opts.infoHash, cipher, received: cipher.decrypt(input.drain()) }
        }
      }
    }
  }

  private step3(s: Uint8Array): Uint8Array {
    const skey = this.opts.infoHash
    this.encrypt = mseRc4(hash(KEY_A, s, skey))
    this.decrypt = mseRc4(hash(KEY_B, s, skey))
    // B's first encrypted bytes are VC: what eight zeros become under keyB is what we search for.
    this.expectedVc = this.decrypt.process(new Uint8Array(VC_LENGTH))
    const ia = this.opts.initialPayload ?? new Uint8Array(0)
    const req2 = req2Hash(skey)
    const req3 = hash(REQ3, s)
    for (let i = 0; i < HASH_LENGTH; i++) req2[i]! ^= req3[i]!
    const secret = new Uint8Array(VC_LENGTH + 4 + 2 + this.padC + 2 + ia.length)
    let at = VC_LENGTH // VC: zeros
    secret[at + 3] = this.opts.provide
    at += 4
    secret[at++] = this.padC >> 8
    secret[at++] = this.padC & 255
    at += this.padC // PadC: zeros
    secret[at++] = ia.length >> 8
    secret[at++] = ia.length & 255
    secret.set(ia, at)
    this.encrypt.process(secret)
    return concatBytes([hash(REQ1, s), req2, secret])
  }
}

type ReceiverState = 'ya' | 'req1' | 'skey' | 'vc' | 'pad-c' | 'ia'

export class MseReceiver extends MseHandshakeBase {
  private state: ReceiverState = 'ya'
  private readonly opts: MseReceiverOptions
  private readonly padB: number
  private readonly padD: number
  private secret: Uint8Array | null = null
  private req1: Uint8Array | null = null
  private infoHash: Uint8Array | null = null
  private decrypt: Rc4 | null = null
  private encrypt: Rc4 | null = null
  private selected = 0
  private padCLength = 0
  private iaLength = 0

  constructor(opts: MseReceiverOptions) {
    super(opts.random)
    checkMethods(opts.allowed, 'allowed')
    this.opts = opts
    this.padB = padLength(opts.padBLength, this.random, true)
    this.padD = padLength(opts.padDLength, this.random, false)
  }

  protected advance(out: Uint8Array[]): MseResult | null {
    const input = this.input
    for (;;) {
      switch (this.state) {
        case 'ya': {
          if (input.available < DH_KEY_BYTES) return null
          this.secret = this.secretFrom(input.take(DH_KEY_BYTES))
          this.req1 = hash(REQ1, this.secret)
          out.push(concatBytes([this.keys.publicKey, this.padBytes(this.padB)]))
          this.state = 'req1'
          break
        }
        case 'req1': {
          // PadA is 0..512 random bytes, then HASH('req1', S): search for it, no further.
          const at = input.find(this.req1!, MAX_PAD)
          if (at < 0) {
            if (input.available >= MAX_PAD + HASH_LENGTH) throw new MseError('no-sync', "no HASH('req1', S) within 532 bytes after Ya")
            return null
          }
          input.skip(at + HASH_LENGTH)
          this.state = 'skey'
          break
        }
        case 'skey': {
          if (input.available < HASH_LENGTH) return null
          const req2 = input.take(HASH_LENGTH).slice()
          const req3 = hash(REQ3, this.secret!)
          for (let i = 0; i < HASH_LENGTH; i++) req2[i]! ^= req3[i]!
          const infoHash = this.opts.lookup(req2)
          if (!infoHash) throw new MseError('unknown-torrent', 'the peer asked for a torrent we do not have')
          this.infoHash = infoHash
          this.decrypt = mseRc4(hash(KEY_A, this.secret!, infoHash))
          this.encrypt = mseRc4(hash(KEY_B, this.secret!, infoHash))
          this.state = 'vc'
          break
        }
        case 'vc': {
          if (input.available < VC_LENGTH + 4 + 2) return null
          const b = this.decrypt!.process(input.take(VC_LENGTH + 4 + 2))
          for (let i = 0; i < VC_LENGTH; i++) if (b[i] !== 0) throw new MseError('bad-vc', 'verification constant did not decrypt to zeros')
          const provide = ((b[8]! << 24) | (b[9]! << 16) | (b[10]! << 8) | b[11]!) >>> 0
          this.selected = this.choose(provide)
          this.padCLength = (b[12]! << 8) | b[13]!
          if (this.padCLength > MAX_PAD) throw new MseError('bad-pad-length', `len(PadC) ${this.padCLength} over ${MAX_PAD}`)
          this.state = 'pad-c'
          break
        }
        case 'pad-c': {
          if (input.available < this.padCLength + 2) return null
          const b = this.decrypt!.process(input.take(this.padCLength + 2))
          this.iaLength = (b[this.padCLength]! << 8) | b[this.padCLength + 1]!
          this.state = 'ia'
          break
        }
        case 'ia': {
          if (input.available < this.iaLength) return null
          const ia = this.decrypt!.process(input.take(this.iaLength)).slice()
          const reply = new Uint8Array(VC_LENGTH + 4 + 2 + this.padD)
          reply[VC_LENGTH + 3] = this.selected
          reply[VC_LENGTH + 4] = this.padD >> 8
          reply[VC_LENGTH + 5] = this.padD & 255
          out.push(this.encrypt!.process(reply))
          const rc4 = this.selected === CRYPTO_RC4
          const cipher = rc4 ? rc4Cipher(this.encrypt!, this.decrypt!) : PLAINTEXT_CIPHER
          const rest = cipher.decrypt(input.drain())
          return { method: rc4 ? 'rc4' : 'plaintext', infoHash: this.infoHash!, cipher, received: ia.length ? concatBytes([ia, rest]) : rest }
        }
      }
    }
  }

  private choose(provide: number): number {
    const common = provide & this.opts.allowed & (CRYPTO_RC4 | CRYPTO_PLAINTEXT)
    if (common === 0) throw new MseError('no-common-method', `peer offers 0x${provide.toString(16)}, we allow 0x${this.opts.allowed.toString(16)}`)
    if (common !== (CRYPTO_RC4 | CRYPTO_PLAINTEXT)) return common
    return methodBit(this.opts.prefer ?? 'rc4')
  }
}
