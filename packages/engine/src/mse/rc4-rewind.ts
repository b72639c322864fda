import type { Rc4State } from '../platform/ports.ts'

/**
 * An RC4 state `n` keystream bytes earlier. RC4's step is a permutation of its state, so it runs
 * backwards: the engine, which has decrypted a chunk past the end of the BitTorrent handshake, gives
 * the data plane the state at the handshake's end (`FrameOptions.cipher.decrypt`).
 */
export function rewindRc4(state: Rc4State, n: number): Rc4State {
  const s = state.s.slice()
  let i = state.i
  let j = state.j
  for (let k = 0; k < n; k++) {
    // forward: i += 1; j += S[i]; swap(S[i], S[j]) — undone in reverse order
    const t = s[i]!
    s[i] = s[j]!
    s[j] = t
    j = (j - s[i]! + 256) & 255
    i = (i + 255) & 255
  }
  return { s, i, j }
}
