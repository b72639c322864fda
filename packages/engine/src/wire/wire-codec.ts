/**
 * Peer wire messages (BEP 3, BEP 6 fast extension, BEP 10 framing): types and encoders.
 * Constant messages are built once and shared: never mutate them. The decoder is in wire-decoder.ts.
 */

import { STORED_MESSAGE_ID } from '../platform/ports.ts'

export const MsgId = {
  choke: 0,
  unchoke: 1,
  interested: 2,
  notInterested: 3,
  have: 4,
  bitfield: 5,
  request: 6,
  piece: 7,
  cancel: 8,
  port: 9,
  suggest: 13,
  haveAll: 14,
  haveNone: 15,
  reject: 16,
  allowedFast: 17,
  extended: 20,
} as const

export const BLOCK_SIZE = 16384

export interface BlockRef {
  index: number
  begin: number
  length: number
}

export type WireMessage =
  | { type: 'keep-alive' }
  | { type: 'choke' }
  | { type: 'unchoke' }
  | { type: 'interested' }
  | { type: 'not-interested' }
  | { type: 'have-all' }
  | { type: 'have-none' }
  | { type: 'have'; index: number }
  | { type: 'suggest'; index: number }
  | { type: 'allowed-fast'; index: number }
  | { type: 'bitfield'; bits: Uint8Array }
  | ({ type: 'request' } & BlockRef)
  | ({ type: 'cancel' } & BlockRef)
  | ({ type: 'reject' } & BlockRef)
  | { type: 'piece'; index: number; begin: number; block: Uint8Array }
  | { type: 'port'; port: number }
  | { type: 'extended'; extId: number; payload: Uint8Array }
  | { type: 'unknown'; id: number; payload: Uint8Array }
  /** Framed streams only (the data plane kept a block of a `piece` message): see STORED_MESSAGE_ID. */
  | ({ type: 'stored' } & BlockRef)

/** The decoder needs more bytes; `missing` is how many at least. */
export interface NeedMore {
  type: 'need-more'
  missing: number
}

export type WireErrorCode =
  | 'too-long' // a length over the limit for its message id
  | 'bad-length' // a fixed-size message with the wrong size
  | 'bad-bitfield' // wrong size or spare bits set
  | 'index-out-of-range'
  | 'bad-handshake'

/** The peer broke the protocol; the decoder is dead afterwards. */
export interface WireInvalid {
  type: 'invalid'
  code: WireErrorCode
  reason: string
}

export type DecodeResult = WireMessage | NeedMore | WireInvalid

function fixed(length: number, id: number): Uint8Array {
  const b = new Uint8Array(4 + length)
  writeU32(b, 0, length)
  if (length > 0) b[4] = id
  return b
}

export const KEEP_ALIVE = new Uint8Array(4)
export const CHOKE = fixed(1, MsgId.choke)
export const UNCHOKE = fixed(1, MsgId.unchoke)
export const INTERESTED = fixed(1, MsgId.interested)
export const NOT_INTERESTED = fixed(1, MsgId.notInterested)
export const HAVE_ALL = fixed(1, MsgId.haveAll)
export const HAVE_NONE = fixed(1, MsgId.haveNone)

export function writeU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24
  b[at + 1] = v >>> 16
  b[at + 2] = v >>> 8
  b[at + 3] = v
}

function indexMessage(id: number, index: number): Uint8Array {
  const b = fixed(5, id)
  writeU32(b, 5, index)
  return b
}

export const encodeHave = (index: number): Uint8Array => indexMessage(MsgId.have, index)
export const encodeSuggest = (index: number): Uint8Array => indexMessage(MsgId.suggest, index)
export const encodeAllowedFast = (index: number): Uint8Array => indexMessage(MsgId.allowedFast, index)

function blockMessage(id: number, index: number, begin: number, length: number): Uint8Array {
  const b = fixed(13, id)
  writeU32(b, 5, index)
  writeU32(b, 9, begin)
  writeU32(b, 13, length)
  return b
}

export const encodeRequest = (index: number, begin: number, length: number): Uint8Array =>
  blockMessage(MsgId.request, index, begin, length)
export const encodeCancel = (index: number, begin: number, length: number): Uint8Array =>
  blockMessage(MsgId.cancel, index, begin, length)
export const encodeReject = (index: number, begin: number, length: number): Uint8Array =>
  blockMessage(MsgId.reject, index, begin, length)

export function encodeBitfield(bits: Uint8Array): Uint8Array {
  const b = new Uint8Array(5 + bits.length)
  writeU32(b, 0, 1 + bits.length)
  b[4] = MsgId.bitfield
  b.set(bits, 5)
  return b
}

/** The 13-byte header of a piece message carrying `length` block bytes (send the block after it). */
export function encodePieceHeader(index: number, begin: number, length: number): Uint8Array {
  const b = new Uint8Array(13)
  writeU32(b, 0, 9 + length)
  b[4] = MsgId.piece
  writeU32(b, 5, index)
  writeU32(b, 9, begin)
  return b
}

/** A whole piece message in one buffer (one copy of the block). */
export function encodePiece(index: number, begin: number, block: Uint8Array): Uint8Array {
  const b = new Uint8Array(13 + block.length)
  b.set(encodePieceHeader(index, begin, block.length), 0)
  b.set(block, 13)
  return b
}

export function encodePort(port: number): Uint8Array {
  const b = fixed(3, MsgId.port)
  b[5] = port >>> 8
  b[6] = port
  return b
}

export function encodeExtended(extId: number, payload: Uint8Array): Uint8Array {
  const b = new Uint8Array(6 + payload.length)
  writeU32(b, 0, 2 + payload.length)
  b[4] = MsgId.extended
  b[5] = extId
  b.set(payload, 6)
  return b
}

/**
 * Our first message after the handshake: have-all/have-none with BEP 6 when they fit, else a
 * bitfield, or nothing when we have no piece and the peer lacks BEP 6 (BEP 3 allows omitting it).
 */
export function encodeAvailability(
  mine: { size: number; bytes: Uint8Array; count(): number } | null,
  fast: boolean,
): Uint8Array | null {
  const n = mine ? mine.count() : 0
  if (fast && (!mine || n === 0)) return HAVE_NONE
  if (fast && mine && n === mine.size) return HAVE_ALL
  return mine && n > 0 ? encodeBitfield(mine.bytes) : null
}

/** STORED, as a data plane writes it into a framed stream in place of a `piece` message it kept. */
export function encodeStored(index: number, begin: number, length: number): Uint8Array {
  const b = new Uint8Array(17)
  writeU32(b, 0, 13)
  b[4] = STORED_MESSAGE_ID
  writeU32(b, 5, index)
  writeU32(b, 9, begin)
  writeU32(b, 13, length)
  return b
}

/** Any message as bytes (tests, tools; the connection uses the specific encoders). */
export function encodeMessage(m: WireMessage): Uint8Array {
  switch (m.type) {
    case 'keep-alive':
      return KEEP_ALIVE
    case 'choke':
      return CHOKE
    case 'unchoke':
      return UNCHOKE
    case 'interested':
      return INTERESTED
    case 'not-interested':
      return NOT_INTERESTED
    case 'have-all':
      return HAVE_ALL
    case 'have-none':
      return HAVE_NONE
    case 'have':
      return encodeHave(m.index)
    case 'suggest':
      return encodeSuggest(m.index)
    case 'allowed-fast':
      return encodeAllowedFast(m.index)
    case 'bitfield':
      return encodeBitfield(m.bits)
    case 'request':
      return encodeRequest(m.index, m.begin, m.length)
    case 'cancel':
      return encodeCancel(m.index, m.begin, m.length)
    case 'reject':
      return encodeReject(m.index, m.begin, m.length)
    case 'piece':
      return encodePiece(m.index, m.begin, m.block)
    case 'port':
      return encodePort(m.port)
    case 'extended':
      return encodeExtended(m.extId, m.payload)
    case 'stored':
      return encodeStored(m.index, m.begin, m.length)
    case 'unknown': {
      const b = new Uint8Array(5 + m.payload.length)
      writeU32(b, 0, 1 + m.payload.length)
      b[4] = m.id
      b.set(m.payload, 5)
      return b
    }
  }
}
