import { describe, expect, it } from 'vitest'
import { CRYPTO_PLAINTEXT, CRYPTO_RC4, createSkeyLookup } from '../mse/mse-handshake.ts'
import { concatBytes } from '../util/bytes.ts'
import { encodeHandshake } from './handshake.ts'
import { MseStage, incomingMse, outgoingMse, type StageStep } from './mse-stage.ts'

const INFO_HASH = new Uint8Array(20).map((_, i) => i + 1)
const PEER_ID = new Uint8Array(20).fill(0x41)
const HS = encodeHandshake(INFO_HASH, PEER_ID, { fast: true, extended: true })
const lookup = createSkeyLookup([INFO_HASH])

/** Feeds `bytes` to the stage `step` bytes at a time; the first step that is not 'continue'. */
function feed(stage: MseStage, bytes: Uint8Array, step: number): { last: StageStep; sent: Uint8Array[] } {
  const sent: Uint8Array[] = []
  let last: StageStep = { state: 'continue', send: null }
  for (let at = 0; at < bytes.length; at += step) {
    last = stage.push(bytes.subarray(at, Math.min(bytes.length, at + step)))
    if (last.state !== 'failed' && last.send) sent.push(last.send)
    if (last.state !== 'continue') break
  }
  return { last, sent }
}

describe('MseStage', () => {
  it('policies: what an outgoing attempt offers and what an incoming one accepts', () => {
    expect(outgoingMse('prefer', false)).toEqual({ provide: CRYPTO_RC4 | CRYPTO_PLAINTEXT })
    expect(outgoingMse('prefer', true)).toBeNull() // refused MSE before: plain
    expect(outgoingMse('require', true)).toEqual({ provide: CRYPTO_RC4 })
    expect(outgoingMse('disable', false)).toBeNull()
    expect(incomingMse('prefer', lookup)).toMatchObject({ allowPlain: true, allowed: CRYPTO_RC4 | CRYPTO_PLAINTEXT })
    expect(incomingMse('require', lookup)).toMatchObject({ allowPlain: false, allowed: CRYPTO_RC4 })
    expect(incomingMse('disable', lookup)).toMatchObject({ allowPlain: true, allowed: 0 })
  })

  it('a plain handshake arriving one byte at a time is detected and handed on whole, with what follows', () => {
    const stage = MseStage.incoming(incomingMse('prefer', lookup))
    const extra = Uint8Array.of(0, 0, 0, 1, 2) // an unchoke right behind the handshake
    const bytes = concatBytes([HS, extra])
    const { last } = feed(stage, bytes, 1)
    expect(last.state).toBe('done')
    if (last.state !== 'done') return
    expect(last.encryption).toBe('plain')
    expect(last.cipher.encrypted).toBe(false)
    // detection decides at the 20th byte; everything seen so far is the start of the stream
    expect([...last.received]).toEqual([...bytes.subarray(0, 20)])
    expect(stage.inMse).toBe(false)
  })

  it('fragmented MSE between our own initiator and receiver: RC4 when required, the IA handed on', () => {
    const { stage: a, start } = MseStage.outgoing(INFO_HASH, { provide: CRYPTO_RC4 }, HS)
    const b = MseStage.incoming(incomingMse('prefer', lookup))
    let toB = start
    let toA: Uint8Array = new Uint8Array(0)
    let doneA: StageStep | null = null
    let doneB: StageStep | null = null
    for (let round = 0; round < 10 && !(doneA && doneB); round++) {
      if (toB.length && !doneB) {
        const r = feed(b, toB, 7)
        toA = concatBytes([toA, ...r.sent])
        if (r.last.state !== 'continue') doneB = r.last
      }
      toB = new Uint8Array(0)
      if (toA.length && !doneA) {
        const r = feed(a, toA, 5)
        toB = concatBytes(r.sent)
        if (r.last.state !== 'continue') doneA = r.last
      }
      toA = new Uint8Array(0)
    }
    expect(doneA?.state).toBe('done')
    expect(doneB?.state).toBe('done')
    if (doneA?.state !== 'done' || doneB?.state !== 'done') return
    expect(doneA.encryption).toBe('rc4')
    expect(doneB.encryption).toBe('rc4')
    expect([...doneB.received]).toEqual([...HS]) // our handshake reached the receiver as IA
    expect([...doneB.infoHash!]).toEqual([...INFO_HASH])
    // and the ciphers pair up: what A encrypts, B decrypts
    const msg = Uint8Array.of(0, 0, 0, 5, 4, 0, 0, 0, 7)
    expect([...doneB.cipher.decrypt(doneA.cipher.encrypt(msg.slice()))]).toEqual([...msg])
  })

  it('refusals are typed as refusals, broken MSE as a failure', () => {
    const plainUnderRequire = MseStage.incoming(incomingMse('require', lookup)).push(HS)
    expect(plainUnderRequire).toMatchObject({ state: 'failed', refused: true })
    const mseUnderDisable = MseStage.incoming(incomingMse('disable', lookup)).push(new Uint8Array(96).fill(9))
    expect(mseUnderDisable).toMatchObject({ state: 'failed', refused: true })
    // 96 bytes of key and then 600 bytes without HASH('req1', S): not MSE
    const junk = MseStage.incoming(incomingMse('prefer', lookup))
    const r = feed(junk, new Uint8Array(96 + 600).fill(0x55), 100)
    expect(r.last).toMatchObject({ state: 'failed', refused: false })
    if (r.last.state === 'failed') expect(r.last.detail).toMatch(/^(no-sync|bad-public-key)/)
  })
})
