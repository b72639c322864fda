import { IoError } from '@tidepool/engine'
import { connectBridge, type BridgeClient, type ConnectBridgeOptions } from '../bridge-client.ts'
import type { WebSocketLike } from '../websocket-like.ts'
import type { AeadFactory } from './aead.ts'
import { MAX_HANDSHAKE_BYTES, Msg, SecureChannel } from './channel.ts'
import { CpaceParty, normalizeCode, randomBytes, SID_BYTES } from './cpace.ts'
import { nobleAead } from './aead.ts'
import { type KeyPair, IkInitiator, concatBytes, DH_BYTES, generateKeyPair } from './noise-ik.ts'
import { RawMessages, type RawOpenOptions } from './raw-messages.ts'
import { SecureSocket } from './secure-socket.ts'

const enc = new TextEncoder()
const dec = new TextDecoder()

/** What a client keeps after pairing (the daemon's key and token never travel in clear). */
export interface PairedCompanion {
  /** ws://ADDR:PORT of the companion. */
  url: string
  /** The companion's name (its host name unless given). */
  name: string
  /** The companion's static X25519 public key, hex. */
  daemonKey: string
  /** The bridge token, sent in the hello inside the channel. */
  token: string
  pairedAt: number
}

/** The client's own long-term key pair, hex; one per installation, kept where the page's state is. */
export interface CompanionIdentity {
  secretKey: string
  publicKey: string
}

export function newCompanionIdentity(): CompanionIdentity {
  const k = generateKeyPair()
  return { secretKey: toHex(k.secretKey), publicKey: toHex(k.publicKey) }
}

export interface PairOptions extends RawOpenOptions {
  code: string
  /** How the daemon lists this client (`--list-paired`, `--revoke NAME`). */
  clientName: string
  identity: CompanionIdentity
}

/**
 * Pairs with a companion daemon in pairing mode (docs/daemon-protocol.md §12.3): CPace on the code, then
 * each side sends its static key sealed with the CPace keys. The connection is closed afterwards;
 * `connectCompanion` opens the working one.
 */
export async function pairWithCompanion(opts: PairOptions): Promise<PairedCompanion> {
  const code = normalizeCode(opts.code)
  if (!code) throw new IoError('invalid', 'empty pairing code')
  const name = enc.encode(opts.clientName.slice(0, 64))
  const raw = await RawMessages.open(opts)
  try {
    const sid = randomBytes(SID_BYTES)
    const cpace = new CpaceParty(code, sid)
    raw.send(concatBytes(Uint8Array.of(Msg.pairHello), sid, cpace.share))
    const reply = await raw.next(opts.timeoutMs)
    if (reply[0] !== Msg.pairReply || reply.length !== 1 + 32) throw new IoError('invalid', 'unexpected pairing reply')
    const keys = cpace.finish(reply.subarray(1), true)
    const mine = concatBytes(fromHex(opts.identity.publicKey), name)
    raw.send(concatBytes(Uint8Array.of(Msg.pairConfirm), nobleAead(keys.c2d).seal(0, mine, keys.transcript)))
    const done = await raw.next(opts.timeoutMs)
    if (done[0] !== Msg.pairDone || done.length > MAX_HANDSHAKE_BYTES)
      throw new IoError('invalid', 'unexpected pairing answer')
    const theirs = nobleAead(keys.d2c).open(0, done.subarray(1), keys.transcript)
    if (!theirs || theirs.length < DH_BYTES) throw new IoError('auth', 'the companion did not prove the code')
    const info = JSON.parse(dec.decode(theirs.subarray(DH_BYTES))) as { name?: unknown; token?: unknown }
    if (typeof info.token !== 'string') throw new IoError('invalid', 'pairing answer without token')
    return {
      url: opts.url,
      name: typeof info.name === 'string' ? info.name : opts.url,
      daemonKey: toHex(theirs.subarray(0, DH_BYTES)),
      token: info.token,
      pairedAt: Date.now(),
    }
  } finally {
    raw.ws.close(1000, 'paired')
  }
}

export interface CompanionSocketOptions extends Omit<RawOpenOptions, 'url'> {
  paired: PairedCompanion
  identity: CompanionIdentity
  /** Transport cipher; Node passes nodeAead (OpenSSL), browsers keep the default (noble). */
  aead?: AeadFactory
}

/** Opens a connection to a paired companion and runs the IK handshake: the result speaks the bridge protocol. */
export async function openCompanionSocket(opts: CompanionSocketOptions): Promise<WebSocketLike> {
  const raw = await RawMessages.open({ ...opts, url: opts.paired.url })
  try {
    const s: KeyPair = { secretKey: fromHex(opts.identity.secretKey), publicKey: fromHex(opts.identity.publicKey) }
    const ik = new IkInitiator(s, fromHex(opts.paired.daemonKey))
    raw.send(concatBytes(Uint8Array.of(Msg.auth1), ik.writeMessage1()))
    const m2 = await raw.next(opts.timeoutMs)
    if (m2[0] !== Msg.auth2) throw new IoError('invalid', 'unexpected handshake reply')
    let keys: ReturnType<IkInitiator['readMessage2']>['result']
    try {
      keys = ik.readMessage2(m2.subarray(1)).result
    } catch (e) {
      throw new IoError('auth', `companion handshake failed: ${(e as Error).message}`)
    }
    return new SecureSocket(raw.release(), new SecureChannel(keys.sendKey, keys.recvKey, opts.aead ?? nobleAead))
  } catch (e) {
    raw.ws.close(1000, 'handshake failed')
    throw e
  }
}

/** A BridgeClient to a paired companion: IK handshake, then the ordinary hello inside the channel. */
export async function connectCompanion(
  opts: CompanionSocketOptions & Pick<ConnectBridgeOptions, 'sendMode'>,
): Promise<BridgeClient> {
  const socket = await openCompanionSocket(opts)
  return connectBridge({
    url: opts.paired.url,
    token: opts.paired.token,
    socket,
    sendMode: opts.sendMode,
    timeoutMs: opts.timeoutMs,
  })
}

export function toHex(b: Uint8Array): string {
  let s = ''
  for (const x of b) s += x.toString(16).padStart(2, '0')
  return s
}

export function fromHex(h: string): Uint8Array {
  if (!/^(?:[0-9a-f]{2})*$/i.test(h)) throw new IoError('invalid', 'bad hex key')
  const out = new Uint8Array(h.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(h.slice(i * 2, i * 2 + 2), 16)
  return out
}
