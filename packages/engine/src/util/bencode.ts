/// <reference path="./bencode-module.d.ts" />
import bencode from 'bencode'

/**
 * Bencode through the `bencode` package, guarded by a strict skipper of our own: the package
 * decoder has no depth limit and accepts malformed input, so every buffer is validated first.
 */
export type BValue = number | Uint8Array | BValue[] | BDict
export interface BDict {
  [key: string]: BValue
}

export type BencodeErrorCode = 'truncated' | 'invalid' | 'too-deep' | 'trailing'

export class BencodeError extends Error {
  readonly code: BencodeErrorCode
  constructor(code: BencodeErrorCode, message: string) {
    super(message)
    this.code = code
    this.name = 'BencodeError'
  }
}

export const DEFAULT_MAX_DEPTH = 64
const D = 0x64, L = 0x6c, I = 0x69, E = 0x65, COLON = 0x3a, MINUS = 0x2d

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39
}

/** Parses the `<len>:` prefix of a string at `pos`; returns [dataStart, dataEnd]. */
function stringSpan(buf: Uint8Array, pos: number): [number, number] {
  let p = pos
  let len = 0
  while (p < buf.length && isDigit(buf[p])) {
    if (p - pos >= 15) throw new BencodeError('invalid', `string length too long at ${pos}`)
    len = len * 10 + (buf[p] - 0x30)
    p++
  }
  if (p === pos) throw new BencodeError(p >= buf.length ? 'truncated' : 'invalid', `expected a value at ${pos}`)
  if (p >= buf.length) throw new BencodeError('truncated', `string length cut at ${pos}`)
  if (buf[p] !== COLON) throw new BencodeError('invalid', `expected ':' at ${p}`)
  if (buf[pos] === 0x30 && p - pos > 1) throw new BencodeError('invalid', `leading zero in string length at ${pos}`)
  const start = p + 1
  if (start + len > buf.length) throw new BencodeError('truncated', `string at ${pos} runs past the end`)
  return [start, start + len]
}

function skipInt(buf: Uint8Array, pos: number): number {
  let p = pos + 1
  if (buf[p] === MINUS) p++
  const digits = p
  while (p < buf.length && isDigit(buf[p])) p++
  if (p >= buf.length) throw new BencodeError('truncated', `integer cut at ${pos}`)
  if (buf[p] !== E || p === digits) throw new BencodeError('invalid', `malformed integer at ${pos}`)
  if (p - digits > 20) throw new BencodeError('invalid', `integer too long at ${pos}`)
  if (buf[digits] === 0x30 && (p - digits > 1 || digits !== pos + 1)) throw new BencodeError('invalid', `non-canonical integer at ${pos}`)
  return p + 1
}

/**
 * Validates one bencoded value starting at `start` and returns the offset just past it.
 * Iterative (an explicit stack), so hostile nesting cannot overflow the JS stack.
 */
export function skipBencode(buf: Uint8Array, start = 0, maxDepth = DEFAULT_MAX_DEPTH): number {
  // Each stack entry: true = dict (expects a key next or 'e'), false = list.
  const stack: boolean[] = []
  let p = start
  for (;;) {
    if (p >= buf.length) throw new BencodeError('truncated', 'input ends inside a value')
    const inDict = stack.length > 0 && stack[stack.length - 1]
    const c = buf[p]
    if (stack.length > 0 && c === E) {
      stack.pop()
      p++
    } else {
      if (inDict) {
        // key, then fall through to its value
        p = stringSpan(buf, p)[1]
        if (p >= buf.length) throw new BencodeError('truncated', 'dictionary ends after a key')
      }
      const v = buf[p]
      if (v === D || v === L) {
        if (stack.length >= maxDepth) throw new BencodeError('too-deep', `nesting deeper than ${maxDepth}`)
        stack.push(v === D)
        p++
        continue
      } else if (v === I) {
        p = skipInt(buf, p)
      } else if (v === E && inDict) {
        throw new BencodeError('invalid', `dictionary key without a value at ${p}`)
      } else {
        p = stringSpan(buf, p)[1]
      }
    }
    if (stack.length === 0) return p
  }
}

/** Decodes exactly one value filling all of `buf`. */
export function decodeBencode(buf: Uint8Array, maxDepth = DEFAULT_MAX_DEPTH): BValue {
  const end = skipBencode(buf, 0, maxDepth)
  if (end !== buf.length) throw new BencodeError('trailing', `${buf.length - end} bytes after the value`)
  return bencode.decode(buf) as BValue
}

/** Decodes the value at the start of `buf`; returns it and where it ends (ut_metadata data follows it). */
export function decodeBencodePrefix(buf: Uint8Array, maxDepth = DEFAULT_MAX_DEPTH): { value: BValue; end: number } {
  const end = skipBencode(buf, 0, maxDepth)
  return { value: bencode.decode(buf.subarray(0, end)) as BValue, end }
}

/** Encodes a value; dictionaries are written with sorted keys. Numbers must be integers. */
export function encodeBencode(value: BValue): Uint8Array {
  return bencode.encode(value)
}

/**
 * Byte spans of each entry of the dictionary at `start` (which must already be validated):
 * the raw key bytes and the [valueStart, valueEnd) range of its value.
 */
export function dictEntries(buf: Uint8Array, start: number): Array<{ key: Uint8Array; valueStart: number; valueEnd: number }> {
  if (buf[start] !== D) throw new BencodeError('invalid', `no dictionary at ${start}`)
  const out: Array<{ key: Uint8Array; valueStart: number; valueEnd: number }> = []
  let p = start + 1
  while (p < buf.length && buf[p] !== E) {
    const [ks, ke] = stringSpan(buf, p)
    const valueEnd = skipBencode(buf, ke)
    out.push({ key: buf.subarray(ks, ke), valueStart: ke, valueEnd })
    p = valueEnd
  }
  return out
}

// Typed accessors over decoded dictionaries. Own properties only: a hostile '__proto__' key
// must not make inherited values look present.
export function isDict(v: unknown): v is BDict {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array)
}

export function getField(d: BDict, key: string): BValue | undefined {
  return Object.hasOwn(d, key) ? d[key] : undefined
}

export function getBytes(d: BDict, key: string): Uint8Array | undefined {
  const v = getField(d, key)
  return v instanceof Uint8Array ? v : undefined
}

export function getInt(d: BDict, key: string): number | undefined {
  const v = getField(d, key)
  return typeof v === 'number' && Number.isSafeInteger(v) ? v : undefined
}

export function getDict(d: BDict, key: string): BDict | undefined {
  const v = getField(d, key)
  return isDict(v) ? v : undefined
}

export function getList(d: BDict, key: string): BValue[] | undefined {
  const v = getField(d, key)
  return Array.isArray(v) ? v : undefined
}
