import { describe, expect, it } from 'vitest'
import { encodeHandshake, HANDSHAKE_LENGTH, parseHandshake } from './handshake.ts'
import { decodeClient, generatePeerId } from './peer-id.ts'

const enc = (s: string) => new TextEncoder().encode(s)
const ih = new Uint8Array(20).map((_, i) => i + 1)

describe('handshake', () => {
  it('encodes the BEP 3 layout with reserved bits', () => {
    const pid = generatePeerId()
    const h = encodeHandshake(ih, pid, { extended: true, fast: true, dht: true })
    expect(h.length).toBe(HANDSHAKE_LENGTH)
    expect(h[0]).toBe(19)
    expect(new TextDecoder().decode(h.subarray(1, 20))).toBe('BitTorrent protocol')
    expect([...h.subarray(20, 28)]).toEqual([0, 0, 0, 0, 0, 0x10, 0, 0x05])
    expect(h.subarray(28, 48)).toEqual(ih)
    expect(h.subarray(48, 68)).toEqual(pid)
  })

  it('round-trips flags', () => {
    for (const flags of [{}, { extended: true }, { fast: true }, { dht: true, fast: true }]) {
      const r = parseHandshake(encodeHandshake(ih, generatePeerId(), flags))
      expect(r.ok).toBe(true)
      if (!r.ok) continue
      expect(r.handshake.extended).toBe(!!('extended' in flags && flags.extended))
      expect(r.handshake.fast).toBe(!!('fast' in flags && flags.fast))
      expect(r.handshake.dht).toBe(!!('dht' in flags && flags.dht))
      expect(r.handshake.infoHash).toEqual(ih)
    }
  })

  it('rejects a wrong protocol string, length byte or size', () => {
    const h = encodeHandshake(ih, generatePeerId())
    const bad1 = h.slice()
    bad1[0] = 18
    expect(parseHandshake(bad1)).toMatchObject({ ok: false })
    const bad2 = h.slice()
    bad2[5] = 0x41
    expect(parseHandshake(bad2)).toMatchObject({ ok: false, reason: expect.stringContaining('protocol string') })
    expect(parseHandshake(h.subarray(0, 67))).toMatchObject({ ok: false })
    expect(() => encodeHandshake(ih.subarray(0, 19), generatePeerId())).toThrow(RangeError)
  })
})

describe('peer ids', () => {
  it('generates -TP0100- plus 12 printable random bytes, different each time', () => {
    const a = generatePeerId()
    const b = generatePeerId()
    expect(a.length).toBe(20)
    expect(new TextDecoder().decode(a.subarray(0, 8))).toBe('-TP0100-')
    expect([...a.subarray(8)].every((c) => /[0-9A-Za-z]/.test(String.fromCharCode(c)))).toBe(true)
    expect(a).not.toEqual(b)
    expect(decodeClient(a)).toBe('Tidepool 1.0')
  })

  it.each([
    ['-LT2080-abcdefghijkl', 'libtorrent 2.0.8'],
    ['-LT12A0-abcdefghijkl', 'libtorrent 1.2.10'],
    ['-qB4650-abcdefghijkl', 'qBittorrent 4.6.5'],
    ['-TR300Z-abcdefghijkl', 'Transmission 3.00'],
    ['-TR4050-abcdefghijkl', 'Transmission 4.0.5'],
    ['-UT355W-abcdefghijkl', 'µTorrent 3.5.5'],
    ['-DE13F0-abcdefghijkl', 'Deluge 1.3.15'],
    ['-WW0208-abcdefghijkl', 'WebTorrent 2.8'],
    ['A2-1-36-0-abcdefghij', 'aria2 1.36.0'],
    ['M7-2-2--abcdefghijkl', 'Mainline 7.2.2'],
    ['S58B-----abcdefghijk', 'Shadow 5.8.11'],
    ['T03I-----abcdefghijk', 'BitTornado 0.3.18'],
    ['-ZZ1234-abcdefghijkl', 'Unknown (-ZZ1234-)'],
  ])('decodes %s as %s', (id, name) => {
    expect(decodeClient(enc(id))).toBe(name)
  })

  it('does not throw on binary junk', () => {
    const junk = new Uint8Array(20).fill(0xff)
    expect(decodeClient(junk)).toMatch(/^Unknown/)
    expect(decodeClient(new Uint8Array(3))).toBe('Unknown')
  })
})
