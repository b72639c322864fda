import { describe, expect, it } from 'vitest'
import {
  BencodeError,
  DEFAULT_MAX_ELEMENTS,
  decodeBencode,
  decodeBencodePrefix,
  dictEntries,
  encodeBencode,
  getBytes,
  getDict,
  getInt,
  scanBencode,
  skipBencode,
  type BValue,
} from './bencode.ts'
import { concatBytes, utf8Decode, utf8Encode } from './bytes.ts'

const enc = (s: string) => utf8Encode(s)

function code(f: () => unknown): string {
  try {
    f()
  } catch (e) {
    return e instanceof BencodeError ? e.code : `other:${String(e)}`
  }
  return 'ok'
}

describe('skipBencode', () => {
  it('finds the end of nested values', () => {
    const b = enc('d1:ad1:bli1ei-2e3:xyzee1:ci0eeTRAILING')
    expect(skipBencode(b)).toBe(b.length - 'TRAILING'.length)
    expect(skipBencode(enc('4:spam'))).toBe(6)
    expect(skipBencode(enc('0:'))).toBe(2)
    expect(skipBencode(enc('le'))).toBe(2)
  })
  it('tells truncated from invalid', () => {
    expect(code(() => skipBencode(enc('d1:a')))).toBe('truncated')
    expect(code(() => skipBencode(enc('5:abc')))).toBe('truncated')
    expect(code(() => skipBencode(enc('i12')))).toBe('truncated')
    expect(code(() => skipBencode(enc('')))).toBe('truncated')
    expect(code(() => skipBencode(enc('i01e')))).toBe('invalid')
    expect(code(() => skipBencode(enc('i-0e')))).toBe('invalid')
    expect(code(() => skipBencode(enc('ie')))).toBe('invalid')
    expect(code(() => skipBencode(enc('i1.5e')))).toBe('invalid')
    expect(code(() => skipBencode(enc('01:a')))).toBe('invalid')
    expect(code(() => skipBencode(enc('di1ei2ee')))).toBe('invalid')
    expect(code(() => skipBencode(enc('d1:ae')))).toBe('invalid')
    expect(code(() => skipBencode(enc('x')))).toBe('invalid')
    expect(code(() => skipBencode(enc('99999999999999999:a')))).toBe('invalid')
  })
  it('refuses hostile nesting without overflowing the stack', () => {
    const deep = enc('l'.repeat(100_000) + 'e'.repeat(100_000))
    expect(code(() => skipBencode(deep))).toBe('too-deep')
    expect(skipBencode(enc('l'.repeat(64) + 'e'.repeat(64)))).toBe(128)
  })
})

describe('decodeBencode', () => {
  it('round-trips values (decode(encode(x)) == x)', () => {
    const values: BValue[] = [
      0,
      -5,
      2 ** 40,
      enc('hi'),
      new Uint8Array([0, 255]),
      [],
      [1, [2, [enc('x')]]],
      { a: 1, b: { c: [enc('d')] } },
    ]
    for (const v of values) expect(decodeBencode(encodeBencode(v))).toEqual(v)
  })
  it('round-trips canonical bytes (encode(decode(b)) == b)', () => {
    for (const s of ['d3:bar4:spam3:fooi42ee', 'li-1ei0ei1e0:e', 'd1:ad1:bdeee'])
      expect(utf8Decode(encodeBencode(decodeBencode(enc(s))))).toBe(s)
  })
  it('rejects trailing bytes; the prefix form reports where the value ends', () => {
    expect(code(() => decodeBencode(enc('i1eXX')))).toBe('trailing')
    const r = decodeBencodePrefix(enc('d8:msg_typei1e5:piecei0eeRAW'))
    expect(r.end).toBe(25)
    expect(r.value).toEqual({ msg_type: 1, piece: 0 })
  })
  it('accessors ignore inherited properties from a hostile __proto__ key', () => {
    const v = decodeBencode(enc('d9:__proto__d6:lengthi5eee'))
    expect(getInt(v as never, 'length')).toBeUndefined()
    expect(getBytes({ a: enc('x') }, 'a')).toEqual(enc('x'))
  })
})

describe('decoding budgets', () => {
  it('counts every value a decode would build, keys included', () => {
    expect(scanBencode(enc('d1:ai1e1:bl0:0:ee'))).toEqual({ end: 17, elements: 7 })
    expect(scanBencode(enc('4:spam'))).toEqual({ end: 6, elements: 1 })
  })
  it('refuses more values than the budget with a typed error, whatever the nesting', () => {
    const list = (n: number) => enc(`l${'0:'.repeat(n)}e`)
    expect(code(() => decodeBencode(list(9), { maxElements: 10 }))).toBe('ok')
    expect(code(() => decodeBencode(list(10), { maxElements: 10 }))).toBe('too-many-elements')
    expect(code(() => decodeBencode(enc('d1:ad1:bd1:cdeeee'), { maxElements: 6 }))).toBe('too-many-elements')
    expect(code(() => decodeBencodePrefix(enc('ldeldeeXX'), { maxElements: 3 }))).toBe('too-many-elements')
  })
  it('has a default budget: a flood of empty strings is refused, not built', () => {
    expect(code(() => decodeBencode(enc(`l${'0:'.repeat(DEFAULT_MAX_ELEMENTS)}e`)))).toBe('too-many-elements')
    expect(code(() => decodeBencode(enc(`l${'le'.repeat(DEFAULT_MAX_ELEMENTS)}e`)))).toBe('too-many-elements')
  })
  it('builds dictionaries with a null prototype: a __proto__ key is an ordinary entry', () => {
    const v = decodeBencode(enc('d9:__proto__d6:lengthi5ee4:namei1ee')) as Record<string, unknown>
    expect(Object.getPrototypeOf(v)).toBeNull()
    expect(Object.keys(v)).toEqual(['__proto__', 'name'])
    expect(getInt(getDict(v as never, '__proto__')!, 'length')).toBe(5)
    expect(getInt(v as never, 'length')).toBeUndefined()
    expect(utf8Decode(encodeBencode(v as never))).toBe('d9:__proto__d6:lengthi5ee4:namei1ee')
  })
  it('decoded strings do not alias the input buffer', () => {
    const b = enc('l3:abce')
    const v = decodeBencode(b) as Uint8Array[]
    b[3] = 0x7a
    expect(utf8Decode(v[0])).toBe('abc')
  })
  it('keys that are not UTF-8 become hex', () => {
    const b = concatBytes([enc('d2:'), new Uint8Array([0xff, 0xfe]), enc('i1ee')])
    expect(Object.keys(decodeBencode(b) as object)).toEqual(['fffe'])
  })
  it('every failure is a BencodeError', () => {
    for (const s of ['', 'd', 'i-e', `l${'l'.repeat(70)}${'e'.repeat(71)}`, 'd1:a', '3:ab', 'i1ex']) {
      expect(code(() => decodeBencode(enc(s)))).not.toMatch(/^(ok|other)/)
    }
  })
})

describe('dictEntries', () => {
  it('gives raw spans of each value', () => {
    const b = enc('d4:infod1:xi1ee3:zzz1:qe')
    const entries = dictEntries(b, 0)
    expect(entries.map((e) => utf8Decode(e.key))).toEqual(['info', 'zzz'])
    expect(utf8Decode(b.subarray(entries[0].valueStart, entries[0].valueEnd))).toBe('d1:xi1ee')
  })
})
