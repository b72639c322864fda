import { concatBytes } from '../util/bytes.ts'
import { cryptoRandomBytes, generateKeyPair, sharedSecret, type DhKeyPair, type RandomBytes } from './dh.ts'
import { InputBuffer } from './input-buffer.ts'
import { MseError, type MseResult, type MseStep } from './mse-protocol.ts'

/** What both MSE roles share: the input buffer, our DH key pair, and push() with its failure rules. */
export abstract class MseHandshakeBase {
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
