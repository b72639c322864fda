import type { Rc4State } from '../platform/ports.ts'
import type { Rc4 } from './rc4.ts'

/**
 * What a connection does to every byte after the MSE handshake: RC4 in each direction, or nothing when
 * the peers chose plaintext. Both methods work in place and return the buffer they were given, so a
 * caller must not pass bytes it shares with anyone else (a constant message, a cached block).
 */
export interface StreamCipher {
  readonly encrypted: boolean
  encrypt(buf: Uint8Array): Uint8Array
  decrypt(buf: Uint8Array): Uint8Array
  /** RC4 only: both keystreams where they are now (handed to a data plane that continues them). */
  states?(): { encrypt: Rc4State; decrypt: Rc4State }
}

export const PLAINTEXT_CIPHER: StreamCipher = {
  encrypted: false,
  encrypt: (buf) => buf,
  decrypt: (buf) => buf,
}

export function rc4Cipher(outgoing: Rc4, incoming: Rc4): StreamCipher {
  return {
    encrypted: true,
    encrypt: (buf) => outgoing.process(buf),
    decrypt: (buf) => incoming.process(buf),
    states: () => ({ encrypt: outgoing.snapshot(), decrypt: incoming.snapshot() }),
  }
}
