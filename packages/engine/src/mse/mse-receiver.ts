import { concatBytes } from '../util/bytes.ts'
import { DH_KEY_BYTES } from './dh.ts'
import { MseHandshakeBase } from './mse-machine.ts'
import {
  CRYPTO_PLAINTEXT,
  CRYPTO_RC4,
  HASH_LENGTH,
  KEY_A,
  KEY_B,
  MAX_PAD,
  MseError,
  REQ1,
  REQ3,
  VC_LENGTH,
  checkMethods,
  hash,
  methodBit,
  padLength,
  type MseReceiverOptions,
  type MseResult,
} from './mse-protocol.ts'
import { mseRc4, type Rc4 } from './rc4.ts'
import { PLAINTEXT_CIPHER, rc4Cipher } from './stream-cipher.ts'

/**
 * The side that accepts: answers Ya with Yb, finds HASH('req1', S) after PadA, learns the torrent from
 * HASH('req2', SKEY) through its lookup, picks a method and answers step 4.
 */
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
            if (input.available >= MAX_PAD + HASH_LENGTH) {
              throw new MseError('no-sync', "no HASH('req1', S) within 532 bytes after Ya")
            }
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
          for (let i = 0; i < VC_LENGTH; i++) {
            if (b[i] !== 0) throw new MseError('bad-vc', 'verification constant did not decrypt to zeros')
          }
          const provide = ((b[8]! << 24) | (b[9]! << 16) | (b[10]! << 8) | b[11]!) >>> 0
          this.selected = this.choose(provide)
          this.padCLength = (b[12]! << 8) | b[13]!
          if (this.padCLength > MAX_PAD)
            throw new MseError('bad-pad-length', `len(PadC) ${this.padCLength} over ${MAX_PAD}`)
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
          const received = ia.length ? concatBytes([ia, rest]) : rest
          return { method: rc4 ? 'rc4' : 'plaintext', infoHash: this.infoHash!, cipher, received }
        }
      }
    }
  }

  private choose(provide: number): number {
    const common = provide & this.opts.allowed & (CRYPTO_RC4 | CRYPTO_PLAINTEXT)
    if (common === 0) {
      const what = `peer offers 0x${provide.toString(16)}, we allow 0x${this.opts.allowed.toString(16)}`
      throw new MseError('no-common-method', what)
    }
    if (common !== (CRYPTO_RC4 | CRYPTO_PLAINTEXT)) return common
    return methodBit(this.opts.prefer ?? 'rc4')
  }
}
