/// <reference path="./bencode-module.d.ts" />
import bencode from 'bencode'

/**
 * Bencode. Decoding is our own and bounded: a first pass validates strictly and counts what the
 * value would build (depth, elements) without allocating, so hostile input is refused before any
 * object exists; then a second pass builds it. Encoding goes through the `bencode` package.
 */
export type BValue = number | Uint8Array | BValue[] | BDict
export interface BDict {
  [key: string]: BValue
}

export type BencodeErrorCode = 'truncated' | 'invalid' | 'too-deep' | 'too-many-elements' | 'trailing'

export class BencodeError extends Error {
  readonly code: BencodeErrorCode
  constructor(code: BencodeErrorCode, message: string) {
    super(message)
    this.code = code
    this.name = 'BencodeError'
  }
}

export interface BencodeLimits {
  /** Deepest nesting of lists and dictionaries. */
  maxDepth?: number
  /** Most values one decode may build: strings, integers, lists, dictionaries, and dictionary keys. */
  maxElements?: number
}

export const DEFAULT_MAX_DEPTH = 64
/**
 * Wire messages and tracker responses (at most a few MiB) hold a few thousand values; .torrent
 * files pass a larger budget of their own. Each decoded value costs ~50-100 bytes of heap however
 * short its encoding ('0:' is two bytes), so this count, not the input size, bounds the memory.
 */
export const DEFAULT_MAX_ELEMENTS = 100_000
const D = 0x64,
  L = 0x6c,
  I = 0x69,
  E = 0x65,
  COLON = 0x3a,
  MINUS = 0x2d

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
  if (buf[digits] === 0x30 && (p - digits > 1 || digits !== pos + 1))
    throw new BencodeError('invalid', `non-canonical integer at ${pos}`)
  return p + 1
}

/**
 * Validates one bencoded value starting at `start`; returns the offset just past it and how many
 * values (keys included) decoding it would build. Iterative (an explicit stack), so hostile nesting
 * cannot overflow the JS stack; allocates nothing per value, so counting millions costs only time.
 */
export function scanBencode(buf: Uint8Array, start = 0, limits: BencodeLimits = {}): { end: number; elements: number } {
  const maxDepth = limits.maxDepth ?? DEFAULT_MAX_DEPTH
  const maxElements = limits.maxElements ?? Infinity
  // Each stack entry: true = dict (expects a key next or 'e'), false = list.
  const stack: boolean[] = []
  let elements = 0
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
        elements++
        if (p >= buf.length) throw new BencodeError('truncated', 'dictionary ends after a key')
      }
      if (++elements > maxElements) throw new BencodeError('too-many-elements', `more than ${maxElements} values`)
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
    if (stack.length === 0) return { end: p, elements }
  }
}

/** Validates one value at `start` and returns the offset just past it (no element budget). */
export function skipBencode(buf: Uint8Array, start = 0, maxDepth = DEFAULT_MAX_DEPTH): number {
  return scanBencode(buf, start, { maxDepth }).end
}

const keyDecoder = new TextDecoder('utf-8', { fatal: true })

/** Dictionary keys are text; a key that is not UTF-8 becomes its hex (as the `bencode` package does). */
function keyText(b: Uint8Array): string {
  if (b.length <= 32) {
    let s = ''
    for (let i = 0; i < b.length; i++) {
      if (b[i] >= 0x80) return keyTextSlow(b)
      s += String.fromCharCode(b[i])
    }
    return s
  }
  return keyTextSlow(b)
}

function keyTextSlow(b: Uint8Array): string {
  try {
    return keyDecoder.decode(b)
  } catch {
    let s = ''
    for (let i = 0; i < b.length; i++) s += b[i].toString(16).padStart(2, '0')
    return s
  }
}

/**
 * Builds the value at `pos` of already validated bytes. Strings are views into `buf` (the
 * decoder's private copy); dictionaries have a null prototype, so a key '__proto__' is an ordinary
 * entry. Recursion is safe: the scan has already bounded the depth.
 */
function build(buf: Uint8Array, pos: number): { value: BValue; end: number } {
  const c = buf[pos]
  if (c === I) {
    let p = pos + 1
    const negative = buf[p] === MINUS
    if (negative) p++
    let n = 0
    while (buf[p] !== E) n = n * 10 + (buf[p++] - 0x30)
    return { value: negative ? -n : n, end: p + 1 }
  }
  if (c === L) {
    const list: BValue[] = []
    let p = pos + 1
    while (buf[p] !== E) {
      const r = build(buf, p)
      list.push(r.value)
      p = r.end
    }
    return { value: list, end: p + 1 }
  }
  if (c === D) {
    const dict = Object.create(null) as BDict
    let p = pos + 1
    while (buf[p] !== E) {
      const [ks, ke] = stringSpan(buf, p)
      const r = build(buf, ke)
      dict[keyText(buf.subarray(ks, ke))] = r.value
      p = r.end
    }
    return { value: dict, end: p + 1 }
  }
  const [s, e] = stringSpan(buf, pos)
  return { value: buf.subarray(s, e), end: e }
}

function decodeValue(buf: Uint8Array, limits: BencodeLimits, whole: boolean): { value: BValue; end: number } {
  const { end } = scanBencode(buf, 0, {
    maxDepth: limits.maxDepth,
    maxElements: limits.maxElements ?? DEFAULT_MAX_ELEMENTS,
  })
  if (whole && end !== buf.length) throw new BencodeError('trailing', `${buf.length - end} bytes after the value`)
  // One copy, so decoded strings never alias the caller's (possibly reused) buffer.
  return { value: build(buf.slice(0, end), 0).value, end }
}

/** Decodes exactly one value filling all of `buf`. */
export function decodeBencode(buf: Uint8Array, limits: BencodeLimits = {}): BValue {
  return decodeValue(buf, limits, true).value
}

/** Decodes the value at the start of `buf`; returns it and where it ends (ut_metadata data follows it). */
export function decodeBencodePrefix(buf: Uint8Array, limits: BencodeLimits = {}): { value: BValue; end: number } {
  return decodeValue(buf, limits, false)
}

/** Encodes a value; dictionaries are written with sorted keys. Numbers must be integers. */
export function encodeBencode(value: BValue): Uint8Array {
  return bencode.encode(value)
}

/**
 * Byte spans of each entry of the dictionary at `start` (which must already be validated):
 * the raw key bytes and the [valueStart, valueEnd) range of its value.
 */
export function dictEntries(
  buf: Uint8Array,
  start: number,
): Array<{ key: Uint8Array; valueStart: number; valueEnd: number }> {
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
