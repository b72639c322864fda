import { type Aead, type AeadFactory, nobleAead } from './aead.ts'

/**
 * The transport after the handshake: every WebSocket message is one bridge frame sealed with the
 * direction's key and the next counter (starting at 0, never sent). Messages travel in order over
 * one WebSocket, so a dropped, replayed, reordered or altered message fails to open and ends the
 * connection.
 */
export class SecureChannel {
  private readonly tx: Aead
  private readonly rx: Aead
  private sent = 0
  private received = 0

  constructor(sendKey: Uint8Array, recvKey: Uint8Array, aead: AeadFactory = nobleAead) {
    this.tx = aead(sendKey)
    this.rx = aead(recvKey)
  }

  seal(frame: Uint8Array): Uint8Array {
    return this.tx.seal(this.sent++, frame)
  }

  /** seal() as ciphertext and tag, when the cipher can (the receiver sees the same message). */
  sealParts(frame: Uint8Array): Uint8Array[] {
    if (!this.tx.sealParts) return [this.seal(frame)]
    return this.tx.sealParts(this.sent++, frame)
  }

  /** The frame, or null: the connection must then be closed (the counter no longer matches). */
  open(message: Uint8Array): Uint8Array | null {
    const p = this.rx.open(this.received, message)
    if (p) this.received++
    return p
  }
}

/** First byte of each handshake message (the transport that follows has none). */
export const Msg = {
  pairHello: 0x01,
  pairReply: 0x02,
  pairConfirm: 0x03,
  pairDone: 0x04,
  auth1: 0x10,
  auth2: 0x11,
} as const

/** WebSocket close codes of a companion refusal, with a reason text saying which. */
export const SecureClose = {
  /** Wrong code, pairing window closed or rate-limited, unknown or revoked client, replayed handshake. */
  refused: 4001,
  /** A message that does not open (flipped bit, replay, reorder) or breaks the handshake's shape. */
  tampered: 4003,
} as const

/** Largest handshake message either side accepts (the longest is a pairing confirmation with a name). */
export const MAX_HANDSHAKE_BYTES = 1024
