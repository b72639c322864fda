/**
 * The start of a connection before the BitTorrent handshake: plain, or an MSE/PE handshake that ends
 * with a stream cipher. Outgoing, we either send our handshake in the clear or open with MSE (our
 * handshake travels as its IA). Incoming, the first bytes say which the peer chose (detectIncoming),
 * and our policy accepts or refuses it. Sans-I/O: PeerConnection feeds it bytes and sends what it says.
 */
import {
  CRYPTO_PLAINTEXT,
  CRYPTO_RC4,
  MseInitiator,
  MseReceiver,
  detectIncoming,
  type MseResult,
  type MseStep,
} from '../mse/mse-handshake.ts'
import { PLAINTEXT_CIPHER, type StreamCipher } from '../mse/stream-cipher.ts'

import type { EncryptionPolicy, PeerRow } from '../api/types.ts'

/** The engine-wide setting (EngineSettings.encryption): MSE when the peer takes it, only MSE, or never. */
export type { EncryptionPolicy }

/** What a connection ended up with: RC4 after MSE, plaintext chosen inside MSE, or no MSE at all. */
export type WireEncryption = PeerRow['encryption']

/** Outgoing: open with MSE offering these methods (CRYPTO_* bits). Absent: a plain handshake. */
export interface OutgoingMse {
  provide: number
}

/** Incoming: which openings we accept, and how MSE's SKEY names a torrent we serve. */
export interface IncomingMse {
  allowPlain: boolean
  /** CRYPTO_* bits we select from; 0 refuses MSE. */
  allowed: number
  lookup: (req2: Uint8Array) => Uint8Array | undefined
}

/** What an outgoing attempt offers under a policy; null for a plain handshake. */
export function outgoingMse(policy: EncryptionPolicy, peerRefusedMse: boolean): OutgoingMse | null {
  if (policy === 'disable') return null
  if (policy === 'require') return { provide: CRYPTO_RC4 }
  // prefer: like libtorrent's defaults, offer both and let the receiver pick; a peer that dropped
  // our MSE attempt before is dialled plain.
  return peerRefusedMse ? null : { provide: CRYPTO_RC4 | CRYPTO_PLAINTEXT }
}

/** What an incoming connection may open with under a policy. */
export function incomingMse(policy: EncryptionPolicy, lookup: IncomingMse['lookup']): IncomingMse {
  if (policy === 'disable') return { allowPlain: true, allowed: 0, lookup }
  if (policy === 'require') return { allowPlain: false, allowed: CRYPTO_RC4, lookup }
  return { allowPlain: true, allowed: CRYPTO_RC4 | CRYPTO_PLAINTEXT, lookup }
}

export type StageStep =
  /** Keep feeding bytes. */
  | { state: 'continue'; send: Uint8Array | null }
  /**
   * The stage is over: `received` are the (decrypted) bytes that start the peer's BitTorrent
   * stream; every later byte goes through `cipher`. `infoHash` is set when MSE named the torrent.
   */
  | {
      state: 'done'
      send: Uint8Array | null
      encryption: WireEncryption
      cipher: StreamCipher
      received: Uint8Array
      infoHash: Uint8Array | null
    }
  /** `refused`: the opening breaks our policy; otherwise the MSE handshake failed (`detail` why). */
  | { state: 'failed'; refused: boolean; detail: string }

export class MseStage {
  private machine: MseInitiator | MseReceiver | null = null
  private pending: Uint8Array | null = null // incoming: bytes seen before detection could decide

  private constructor(private readonly incoming: IncomingMse | null) {}

  /** Outgoing with MSE: `start()` is step 1 to send now; `handshake` (our IA) is inside step 3. */
  static outgoing(
    infoHash: Uint8Array,
    mse: OutgoingMse,
    handshake: Uint8Array,
  ): { stage: MseStage; start: Uint8Array } {
    const stage = new MseStage(null)
    const m = new MseInitiator({ infoHash, provide: mse.provide, initialPayload: handshake })
    stage.machine = m
    return { stage, start: m.start() }
  }

  static incoming(policy: IncomingMse): MseStage {
    return new MseStage(policy)
  }

  /** True once MSE was detected (or started): a failure from here on is an MSE failure. */
  get inMse(): boolean {
    return this.machine !== null
  }

  push(data: Uint8Array): StageStep {
    if (this.machine) return this.fromMachine(this.machine.push(data))
    const policy = this.incoming!
    const bytes = this.pending ? concat(this.pending, data) : data
    const kind = detectIncoming(bytes)
    if (kind === 'need-more') {
      this.pending = bytes === data ? data.slice() : bytes
      return { state: 'continue', send: null }
    }
    this.pending = null
    if (kind === 'plain') {
      if (!policy.allowPlain)
        return { state: 'failed', refused: true, detail: 'plain connection while encryption is required' }
      return {
        state: 'done',
        send: null,
        encryption: 'plain',
        cipher: PLAINTEXT_CIPHER,
        received: bytes,
        infoHash: null,
      }
    }
    if (policy.allowed === 0)
      return { state: 'failed', refused: true, detail: 'encrypted connection while encryption is disabled' }
    this.machine = new MseReceiver({ lookup: policy.lookup, allowed: policy.allowed, prefer: 'plaintext' })
    return this.fromMachine(this.machine.push(bytes))
  }

  private fromMachine(step: MseStep): StageStep {
    if (step.state === 'continue') return step
    if (step.state === 'failed')
      return { state: 'failed', refused: false, detail: `${step.error.code}: ${step.error.message}` }
    return done(step.send, step.result)
  }
}

function done(send: Uint8Array | null, r: MseResult): StageStep {
  const encryption: WireEncryption = r.method === 'rc4' ? 'rc4' : 'plaintext-in-mse'
  return { state: 'done', send, encryption, cipher: r.cipher, received: r.received, infoHash: r.infoHash }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a)
  out.set(b, a.length)
  return out
}
