/**
 * Handing a connection to the platform's data plane right after the BitTorrent handshake
 * (TcpSocket.frame): where the stream stands (`at`, the RC4 states), and the state of the handover.
 * While the platform decides, the connection writes nothing (its outbox holds) and buffers what
 * arrives without parsing it; `framed` then decides whether it parses the platform's framed stream
 * from `at` on (plaintext, STORED for kept blocks) or goes on as before.
 */
import { rewindRc4 } from '../mse/rc4-rewind.ts'
import type { StreamCipher } from '../mse/stream-cipher.ts'
import type { DataPlaneTorrent, FrameOptions, IoError, TcpSocket } from '../platform/ports.ts'
import type { Outbox } from './outbox.ts'

export type FramingState = 'plain' | 'pending' | 'framed'

export interface FramingConnection {
  readonly socket: TcpSocket
  readonly outbox: Outbox
  /** Wire bytes received so far. */
  readonly bytesIn: number
  /** Decrypted bytes received past the handshake that nothing has parsed yet. */
  readonly unparsed: number
  readonly cipher: StreamCipher | null
  /** The platform's answer (called once; possibly before `startFraming` returns). */
  onFramed(framed: boolean, at: number, error?: IoError): void
}

/**
 * Asks the platform to frame the connection. False when it cannot be framed now (no `frame`, a
 * cipher that cannot hand its state over, or our own writes backed up): the connection stays plain.
 */
export function startFraming(c: FramingConnection, torrent: DataPlaneTorrent): boolean {
  if (!c.socket.frame) return false
  // Everything written before `frame` leaves encrypted by us; the platform continues the keystream.
  c.outbox.flush()
  if (c.outbox.pending > 0) return false
  const at = c.bytesIn - c.unparsed
  const opts: FrameOptions = { torrent, at }
  if (c.cipher?.encrypted) {
    const states = c.cipher.states?.()
    if (!states) return false
    // the receive keystream already ran over the unparsed bytes past `at`
    opts.cipher = { encrypt: states.encrypt, decrypt: rewindRc4(states.decrypt, c.unparsed) }
  }
  c.outbox.hold()
  let answered = false
  c.socket.frame(opts, (framed, error) => {
    if (answered) return
    answered = true
    c.onFramed(framed, at, error)
  })
  return true
}
