/**
 * Test helpers for MSE: a deterministic random source and a two-machine run over an in-memory pipe that
 * delivers bytes in random fragments. Not used by production code.
 */
import { concatBytes } from '../util/bytes.ts'
import { xorshift } from '../util/fuzz.ts'
import type { RandomBytes } from './dh.ts'
import type { MseInitiator, MseReceiver, MseError, MseResult, MseStep } from './mse-handshake.ts'

export function seededRandom(seed: number): RandomBytes {
  const rnd = xorshift(seed)
  return (n) => Uint8Array.from({ length: n }, () => Math.floor(rnd() * 256))
}

export interface PipeOutcome {
  initiator: { result: MseResult | null; error: MseError | null; payload: Uint8Array }
  receiver: { result: MseResult | null; error: MseError | null; payload: Uint8Array }
  /** Bytes each side wrote before its handshake ended (handshake overhead). */
  handshakeBytes: { initiator: number; receiver: number }
}

interface Side {
  hs: MseInitiator | MseReceiver
  result: MseResult | null
  error: MseError | null
  /** Decrypted stream after the handshake (result.received, then later bytes). */
  payload: Uint8Array[]
  /** What this side sends once its handshake is done (encrypted then). */
  after: Uint8Array
  sentHandshake: number
}

/**
 * Runs both handshakes against each other, fragmenting every write at random (1..maxFragment bytes per
 * delivery), then has each side send `after` through its cipher. Bounded: at most 100,000 deliveries.
 */
export function runPipe(
  initiator: MseInitiator,
  receiver: MseReceiver,
  opts: { seed: number; maxFragment: number; initiatorAfter: Uint8Array; receiverAfter: Uint8Array },
): PipeOutcome {
  const rnd = xorshift(opts.seed)
  const a: Side = {
    hs: initiator,
    result: null,
    error: null,
    payload: [],
    after: opts.initiatorAfter,
    sentHandshake: 0,
  }
  const b: Side = { hs: receiver, result: null, error: null, payload: [], after: opts.receiverAfter, sentHandshake: 0 }
  // wire[0]: a -> b, wire[1]: b -> a
  const wire: Uint8Array[][] = [[initiator.start()], []]
  a.sentHandshake = wire[0]![0]!.length
  const handle = (side: Side, step: MseStep, outbox: Uint8Array[]): void => {
    if (step.send) {
      outbox.push(step.send)
      side.sentHandshake += step.send.length
    }
    if (step.state === 'failed') side.error = step.error
    if (step.state === 'done') {
      side.result = step.result
      side.payload.push(step.result.received)
      // a copy: encrypt works in place and `after` is the test's expected value
      if (side.after.length) outbox.push(step.result.cipher.encrypt(side.after.slice()))
    }
  }
  for (let n = 0; n < 100_000; n++) {
    const dir = wire[0]!.length && (!wire[1]!.length || rnd() < 0.5) ? 0 : wire[1]!.length ? 1 : -1
    if (dir < 0) break
    const queue = wire[dir]!
    const [to, outbox] = dir === 0 ? [b, wire[1]!] : [a, wire[0]!]
    const head = queue[0]!
    const cut = Math.min(head.length, 1 + Math.floor(rnd() * opts.maxFragment))
    const piece = head.slice(0, cut)
    if (cut === head.length) queue.shift()
    else queue[0] = head.subarray(cut)
    if (to.error) continue
    if (to.result) to.payload.push(to.result.cipher.decrypt(piece))
    else handle(to, to.hs.push(piece), outbox)
  }
  const out = (s: Side) => ({ result: s.result, error: s.error, payload: concatBytes(s.payload) })
  return {
    initiator: out(a),
    receiver: out(b),
    handshakeBytes: { initiator: a.sentHandshake, receiver: b.sentHandshake },
  }
}
