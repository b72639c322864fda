import { concatBytes } from '../util/bytes.ts'
import { DH_KEY_BYTES } from './dh.ts'
import { MseHandshakeBase } from './mse-machine.ts'
import {
  CRYPTO_PLAINTEXT,
  CRYPTO_RC4,
  HASH_LENGTH,
  KEY_A,
  KEY_B,
  MAX_INITIAL_PAYLOAD,
  MAX_PAD,
  MseError,
  REQ1,
  REQ3,
  VC_LENGTH,
  checkMethods,
  hash,
  padLength,
  req2Hash,
  type MseInitiatorOptions,
  type MseResult,
} from './mse-protocol.ts'
import { mseRc4, type Rc4 } from './rc4.ts'
import { PLAINTEXT_CIPHER, rc4Cipher } from './stream-cipher.ts'

/** The side that dials: sends Ya, then step 3 with our IA, and finds B's ENCRYPT(VC) after PadB. */
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
    if ((opts.initialPayload?.length ?? 0) > MAX_INITIAL_PAYLOAD)
      throw new RangeError('initial payload over 65535 bytes')
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
            if (input.available >= MAX_PAD + VC_LENGTH) {
              throw new MseError('no-sync', 'no ENCRYPT(VC) within 520 bytes after Yb')
            }
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
            const what = `peer selected method 0x${select.toString(16)}, we offered 0x${this.opts.provide.toString(16)}`
            throw new MseError('bad-crypto-select', what)
          }
          this.selected = select
          this.padDLength = (b[4]! << 8) | b[5]!
          if (this.padDLength > MAX_PAD)
            throw new MseError('bad-pad-length', `len(PadD) ${this.padDLength} over ${MAX_PAD}`)
          this.state = 'pad-d'
          break
        }
        case 'pad-d': {
          if (input.available < this.padDLength) return null
          this.decrypt!.process(input.take(this.padDLength))
          const rc4 = this.selected === CRYPTO_RC4
          const cipher = rc4 ? rc4Cipher(this.encrypt!, this.decrypt!) : PLAINTEXT_CIPHER
          const received = cipher.decrypt(input.drain())
          return { method: rc4 ? 'rc4' : 'plaintext', infoHash: this.opts.infoHash, cipher, received }
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
