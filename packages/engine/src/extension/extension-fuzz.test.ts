import { describe, expect, it } from 'vitest'
import { decodeExtendedHandshake, encodeExtendedHandshake } from './extended-handshake.ts'
import { ExtensionError } from './extension-error.ts'
import { decodeMetadataMessage, encodeMetadataMessage } from './ut-metadata.ts'
import { decodePex, encodePex } from './ut-pex.ts'
import { mutate, xorshift } from '../util/fuzz.ts'

function survive(seed: Uint8Array, decode: (b: Uint8Array) => unknown, rnd: () => number, n: number): number {
  let ok = 0
  for (let i = 0; i < n; i++) {
    let input = seed
    for (let k = 1 + Math.floor(rnd() * 3); k > 0; k--) input = mutate(input, rnd)
    try {
      decode(input)
      ok++
    } catch (e) {
      if (!(e instanceof ExtensionError)) throw e
    }
  }
  return ok
}

describe('extension codecs fuzz', () => {
  it('mutated messages decode or throw ExtensionError only', () => {
    const rnd = xorshift(777)
    const hs = encodeExtendedHandshake({ m: { ut_metadata: 3, ut_pex: 1 }, v: 'x', p: 1, reqq: 9, metadataSize: 100, yourIp: '1.2.3.4' })
    const md = encodeMetadataMessage({ type: 'data', piece: 0, totalSize: 20, data: new Uint8Array(20) })
    const px = encodePex({ added: [{ ip: '1.2.3.4', port: 5, flags: 2 }, { ip: '::1', port: 3, flags: 0 }], dropped: [{ ip: '4.3.2.1', port: 9 }] })
    expect(survive(hs, decodeExtendedHandshake, rnd, 2000)).toBeGreaterThan(0)
    expect(survive(md, decodeMetadataMessage, rnd, 2000)).toBeGreaterThan(0)
    expect(survive(px, decodePex, rnd, 2000)).toBeGreaterThan(0)
  })
})
