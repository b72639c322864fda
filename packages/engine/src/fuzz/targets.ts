import { decodeExtendedHandshake, encodeExtendedHandshake } from '../extension/extended-handshake.ts'
import { ExtensionError } from '../extension/extension-error.ts'
import { decodeMetadataMessage, encodeMetadataMessage } from '../extension/ut-metadata.ts'
import { decodePex, encodePex } from '../extension/ut-pex.ts'
import { MagnetError, parseMagnet } from '../magnet/parse-magnet.ts'
import {
  CRYPTO_PLAINTEXT,
  CRYPTO_RC4,
  MseInitiator,
  MseReceiver,
  createSkeyLookup,
  type MseStep,
} from '../mse/mse-handshake.ts'
import { seededRandom } from '../mse/mse-test-kit.ts'
import { LT_HYBRID, LT_V1 } from '../metainfo/lt-fixtures.ts'
import { MetainfoError } from '../metainfo/metainfo-error.ts'
import { parseInfoDictionary } from '../metainfo/parse-info.ts'
import { parseMetainfo } from '../metainfo/parse-metainfo.ts'
import { HttpError } from '../http/http-error.ts'
import { ResponseReader } from '../http/response-reader.ts'
import { parseAnnounceResponse } from '../tracker/http-announce.ts'
import { parseScrapeResponse } from '../tracker/http-scrape.ts'
import { TrackerError } from '../tracker/tracker-error.ts'
import { decodeUdpResponse } from '../tracker/udp-tracker-codec.ts'
import { BencodeError, decodeBencode, encodeBencode, type BValue } from '../util/bencode.ts'
import { bytesEqual, concatBytes, utf8Encode } from '../util/bytes.ts'
import type { FuzzOutcome, FuzzTarget } from '../util/fuzz.ts'
import { toHex } from '../util/hex.ts'
import { encodeCompactPeers } from '../util/peer-address.ts'
import { sha1 } from '../util/sha1.ts'
import { sha1Sync } from '../util/sha1-sync.ts'
import { encodeHandshake } from '../wire/handshake.ts'
import { encodeMessage } from '../wire/wire-codec.ts'
import { WireDecoder } from '../wire/wire-decoder.ts'

/**
 * Every parser of untrusted bytes as a fuzz target: the unit tests run each with a fixed seed and a
 * small budget, `pnpm fuzz` runs them longer with a random seed. A run returns 'rejected' only for
 * the parser's own typed error, and checks the invariants an accepted input must keep.
 */

const b64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0))
const HASH = 'd3c57152dfffec6882294dc1da18e3af84ef6d97'

function invariant(ok: boolean, what: string): void {
  if (!ok) throw new Error(`invariant broken: ${what}`)
}

/** Runs `f`; an error of class `typed` is a rejection, anything else propagates (a bug). */
async function rejectsOnly(typed: abstract new (...args: never[]) => Error, f: () => unknown): Promise<FuzzOutcome> {
  try {
    await f()
    return 'accepted'
  } catch (e) {
    if (e instanceof typed) return 'rejected'
    throw e
  }
}

function syncRejectsOnly(typed: abstract new (...args: never[]) => Error, f: () => unknown): FuzzOutcome {
  try {
    f()
    return 'accepted'
  } catch (e) {
    if (e instanceof typed) return 'rejected'
    throw e
  }
}

const bencode: FuzzTarget = {
  name: 'bencode',
  seeds: [
    utf8Encode('d1:ad1:bli1ei-2e3:xyzee1:ci0e9:__proto__de4:listl0:lelee0:i99999999999ee'),
    utf8Encode('li1e4:spame'),
  ],
  run: (input) => {
    let v: BValue
    try {
      v = decodeBencode(input, { maxElements: 10_000 })
    } catch (e) {
      if (e instanceof BencodeError) return 'rejected'
      throw e
    }
    // Integers past 2^53 lose digits as numbers, so only values without them must round-trip.
    if (!hasUnsafeInteger(v))
      invariant(sameValue(v, decodeBencode(encodeBencode(v))), 'decode(encode(decode(b))) == decode(b)')
    return 'accepted'
  },
}

function hasUnsafeInteger(v: BValue): boolean {
  if (typeof v === 'number') return !Number.isSafeInteger(v)
  if (v instanceof Uint8Array) return false
  return (Array.isArray(v) ? v : Object.values(v)).some(hasUnsafeInteger)
}

function sameValue(a: BValue, b: BValue): boolean {
  if (a instanceof Uint8Array) return b instanceof Uint8Array && bytesEqual(a, b)
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => sameValue(x, b[i]))
  if (typeof a === 'number') return a === b
  if (typeof b !== 'object' || b instanceof Uint8Array || Array.isArray(b)) return false
  const ka = Object.keys(a).sort()
  const kb = Object.keys(b).sort()
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && sameValue(a[k], b[k]))
}

const magnet: FuzzTarget = {
  name: 'magnet',
  seeds: [
    utf8Encode(`magnet:?xt=urn:btih:${HASH}&dn=a%20b&tr=udp%3A%2F%2Fx%3A1&x.pe=[::1]:5&so=1-3,7&so=0`),
    utf8Encode(
      `magnet:?xt=urn:btmh:1220${'ab'.repeat(32)}&xt=urn:btih:${'A'.repeat(32)}&ws=http%3A%2F%2Fw&x.pe=1.2.3.4:9`,
    ),
  ],
  run: (input) =>
    syncRejectsOnly(MagnetError, () => {
      const m = parseMagnet(new TextDecoder().decode(input))
      invariant(/^[0-9a-f]{40}$/.test(m.infoHash), 'info-hash is 40 hex')
      const so = m.selectedFiles ?? []
      invariant(so.length <= 100_000 && so.every((v, i) => i === 0 || v > so[i - 1]), 'so= sorted, distinct, capped')
    }),
}

async function checkInfo(m: {
  infoHash: string
  infoBytes: Uint8Array
  pieceCount: number
  length: number
  pieceLength: number
  files: { pathComponents: string[] }[]
}): Promise<void> {
  invariant(m.infoHash === toHex(await sha1(m.infoBytes)), 'info-hash is the SHA-1 of the info bytes')
  invariant(m.pieceCount === Math.ceil(m.length / m.pieceLength), 'piece count matches the length')
  for (const f of m.files)
    invariant(
      f.pathComponents.every((c) => c !== '' && c !== '.' && c !== '..' && !/[/\\\u0000]/.test(c)),
      'paths are sanitized',
    )
}

const metainfo: FuzzTarget = {
  name: 'metainfo',
  seeds: [b64(LT_V1), b64(LT_HYBRID)],
  run: (input) => rejectsOnly(MetainfoError, async () => checkInfo(await parseMetainfo(input))),
}

const infoDictionary: FuzzTarget = {
  name: 'info-dictionary',
  seeds: [
    encodeBencode({
      name: utf8Encode('x'),
      'piece length': 16384,
      pieces: new Uint8Array(40),
      files: [
        { length: 20000, path: [utf8Encode('a'), utf8Encode('b')] },
        { length: 1, path: [utf8Encode('c')] },
      ],
    }),
  ],
  run: (input) => rejectsOnly(MetainfoError, async () => checkInfo(await parseInfoDictionary(input))),
}

const extendedHandshake: FuzzTarget = {
  name: 'extended-handshake',
  seeds: [
    encodeExtendedHandshake({
      m: { ut_metadata: 3, ut_pex: 1 },
      v: 'x',
      p: 1,
      reqq: 9,
      metadataSize: 100,
      yourIp: '1.2.3.4',
    }),
  ],
  run: (input) => syncRejectsOnly(ExtensionError, () => decodeExtendedHandshake(input)),
}

const utMetadata: FuzzTarget = {
  name: 'ut-metadata',
  seeds: [
    encodeMetadataMessage({ type: 'data', piece: 0, totalSize: 20, data: new Uint8Array(20) }),
    encodeMetadataMessage({ type: 'request', piece: 2 }),
  ],
  run: (input) => syncRejectsOnly(ExtensionError, () => decodeMetadataMessage(input)),
}

const utPex: FuzzTarget = {
  name: 'ut-pex',
  seeds: [
    encodePex({
      added: [
        { ip: '1.2.3.4', port: 5, flags: 2 },
        { ip: '::1', port: 3, flags: 0 },
      ],
      dropped: [{ ip: '4.3.2.1', port: 9 }],
    }),
  ],
  run: (input) => syncRejectsOnly(ExtensionError, () => decodePex(input)),
}

const trackerAnnounce: FuzzTarget = {
  name: 'tracker-announce',
  seeds: [
    encodeBencode({
      interval: 60,
      complete: 1,
      peers: encodeCompactPeers([{ ip: '1.2.3.4', port: 5 }], 4),
      peers6: encodeCompactPeers([{ ip: '::1', port: 6 }], 6),
      'warning message': utf8Encode('w'),
    }),
  ],
  run: (input) =>
    syncRejectsOnly(TrackerError, () => {
      for (const p of parseAnnounceResponse(input).peers) invariant(p.port > 0 && p.port < 65536, 'peer ports in range')
    }),
}

const trackerScrape: FuzzTarget = {
  name: 'tracker-scrape',
  seeds: [
    concatBytes([
      utf8Encode('d5:filesd20:'),
      new Uint8Array(20).fill(0x61),
      encodeBencode({ complete: 3, downloaded: 9, incomplete: 1 }),
      utf8Encode('ee'),
    ]),
  ],
  run: (input) => syncRejectsOnly(TrackerError, () => parseScrapeResponse(input)),
}

const trackerUdp: FuzzTarget = {
  name: 'tracker-udp',
  seeds: [
    new Uint8Array([0, 0, 0, 1, 0, 0, 0, 7, 0, 0, 0, 60, 0, 0, 0, 1, 0, 0, 0, 2, 1, 2, 3, 4, 0x1a, 0xe1]),
    new Uint8Array([0, 0, 0, 3, 0, 0, 0, 7, 0x62, 0x61, 0x64]),
  ],
  run: (input) => {
    // UDP datagrams never throw: an unusable one is null.
    return decodeUdpResponse(input, input.length % 2 === 0) === null ? 'rejected' : 'accepted'
  },
}

const wire: FuzzTarget = {
  name: 'wire',
  seeds: [
    concatBytes([
      encodeMessage({ type: 'bitfield', bits: new Uint8Array([0xf0]) }),
      encodeMessage({ type: 'request', index: 1, begin: 0, length: 16384 }),
      encodeMessage({ type: 'piece', index: 0, begin: 0, block: new Uint8Array(8) }),
      encodeMessage({ type: 'extended', extId: 1, payload: utf8Encode('d1:md6:ut_pexi1eee') }),
      encodeMessage({ type: 'keep-alive' }),
    ]),
  ],
  run: (input) => {
    const d = new WireDecoder({ pieceCount: input.length % 2 ? 4 : null })
    const cut = input.length >> 1
    d.push(input.subarray(0, cut))
    d.push(input.subarray(cut))
    // Each message consumes at least 4 bytes: more results than that means the decoder is stuck.
    for (let i = 0; i <= input.length / 4 + 1; i++) {
      const r = d.next()
      if (r.type === 'need-more') return 'accepted'
      if (r.type === 'invalid') return 'rejected'
    }
    throw new Error('invariant broken: the decoder returned more messages than the input holds')
  },
}

// MSE: each side's machine is built from a fixed random source, so its DH key is the same on every run
// and a recorded stream from the other side completes the handshake (the seed); mutants mostly break
// sync, VC or lengths. Pushed in three fragments to exercise the partial paths.
const MSE_HASH = sha1Sync(utf8Encode('mse fuzz torrent'))
// Longer than the sync bounds, so a mutant that breaks the keys is refused (no-sync) rather than waiting.
const MSE_AFTER = utf8Encode('payload that follows the handshake. '.repeat(40))
const mseInitiator = () =>
  new MseInitiator({
    infoHash: MSE_HASH,
    provide: CRYPTO_RC4 | CRYPTO_PLAINTEXT,
    initialPayload: encodeHandshake(MSE_HASH, new Uint8Array(20)),
    padALength: 40,
    padCLength: 8,
    random: seededRandom(1),
  })
const mseReceiver = () =>
  new MseReceiver({
    lookup: createSkeyLookup([MSE_HASH]),
    allowed: CRYPTO_RC4 | CRYPTO_PLAINTEXT,
    padBLength: 30,
    padDLength: 4,
    random: seededRandom(2),
  })
// The largest handshake a receiver may wait for: Ya, PadA + req1 bound, req2, VC..len, PadC, len, IA.
const MSE_MAX_RECEIVER_INPUT = 96 + 532 + 20 + 14 + 512 + 2 + 0xffff
let mseStreams: { toReceiver: Uint8Array; toInitiator: Uint8Array } | null = null

function recordedMseStreams(): { toReceiver: Uint8Array; toInitiator: Uint8Array } {
  if (mseStreams) return mseStreams
  const a = mseInitiator(),
    b = mseReceiver()
  const ya = a.start()
  const yb = b.push(ya).send!
  const step3 = a.push(yb).send!
  const step4 = b.push(step3)
  invariant(step4.state === 'done', 'recorded MSE handshake completes')
  mseStreams = {
    toReceiver: concatBytes([ya, step3, MSE_AFTER]),
    toInitiator: concatBytes([yb, step4.send!, MSE_AFTER]),
  }
  return mseStreams
}

function pushInThree(push: (b: Uint8Array) => MseStep, input: Uint8Array): MseStep {
  const cuts = [0, Math.floor(input.length / 3), Math.floor((2 * input.length) / 3), input.length]
  let step: MseStep = { state: 'continue', send: null }
  for (let i = 0; i < 3 && step.state === 'continue'; i++) step = push(input.subarray(cuts[i], cuts[i + 1]))
  return step
}

const mseReceiverTarget: FuzzTarget = {
  name: 'mse-receiver',
  get seeds() {
    return [recordedMseStreams().toReceiver]
  },
  run: (input) => {
    const b = mseReceiver()
    const step = pushInThree((c) => b.push(c), input)
    if (step.state === 'failed') return 'rejected'
    if (step.state === 'continue') {
      invariant(input.length <= MSE_MAX_RECEIVER_INPUT, 'receiver waits within its bound')
      return 'accepted'
    }
    invariant(bytesEqual(step.result.infoHash, MSE_HASH), 'receiver found the only torrent it has')
    invariant(step.result.received.length <= input.length, 'received bytes came from the input')
    return 'accepted'
  },
}

const mseInitiatorTarget: FuzzTarget = {
  name: 'mse-initiator',
  get seeds() {
    return [recordedMseStreams().toInitiator]
  },
  run: (input) => {
    const a = mseInitiator()
    a.start()
    const step = pushInThree((c) => a.push(c), input)
    if (step.state === 'failed') return 'rejected'
    if (step.state === 'continue') {
      invariant(input.length <= 96 + 520 + 6 + 512, 'initiator waits within its bound')
      return 'accepted'
    }
    invariant(step.result.received.length <= input.length, 'received bytes came from the input')
    return 'accepted'
  },
}

/** HTTP responses (trackers, web seeds): fed in three uneven pieces, then the connection's end. */
const httpResponse: FuzzTarget = {
  name: 'http-response',
  seeds: [
    utf8Encode('HTTP/1.1 206 Partial\r\nContent-Range: bytes 0-4/9\r\nContent-Length: 5\r\n\r\nhello'),
    utf8Encode('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=1\r\nabc\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\n'),
    utf8Encode('HTTP/1.0 503 Busy\r\nRetry-After: 30\r\n\r\n30'),
  ],
  run: (input) =>
    syncRejectsOnly(HttpError, () => {
      const max = 4096
      const r = new ResponseReader(max)
      const a = Math.floor(input.length / 3)
      const b = Math.floor((input.length * 2) / 3)
      let done = r.push(input.subarray(0, a)) || r.push(input.subarray(a, b)) || r.push(input.subarray(b))
      if (!done) done = r.end()
      invariant(done && r.result !== null, 'a response once complete')
      invariant(r.result!.body.length <= max, 'body within the cap')
      invariant(r.result!.status >= 100 && r.result!.status <= 599, 'a status from 100 to 599')
    }),
}

export const FUZZ_TARGETS: readonly FuzzTarget[] = [
  bencode,
  magnet,
  metainfo,
  infoDictionary,
  extendedHandshake,
  utMetadata,
  utPex,
  trackerAnnounce,
  trackerScrape,
  trackerUdp,
  httpResponse,
  wire,
  mseReceiverTarget,
  mseInitiatorTarget,
]

export function fuzzTarget(name: string): FuzzTarget {
  const t = FUZZ_TARGETS.find((x) => x.name === name)
  if (!t) throw new Error(`no fuzz target '${name}' (have: ${FUZZ_TARGETS.map((x) => x.name).join(', ')})`)
  return t
}
