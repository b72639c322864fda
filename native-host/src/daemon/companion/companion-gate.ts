import { unwatchFile, watchFile } from 'node:fs'
import { join } from 'node:path'
import type { WebSocket } from 'ws'
import {
  concatBytes,
  CpaceParty,
  fromHex,
  HandshakeError,
  IkResponder,
  MAX_HANDSHAKE_BYTES,
  Msg,
  PairingError,
  SecureChannel,
  SecureClose,
  SID_BYTES,
  nobleAead,
  toHex,
} from '@tidepool/daemon-bridge/secure'
import { nodeAead } from '@tidepool/daemon-bridge/node'
import type { SessionSocket } from '../in-process-link.ts'
import { addPairedClient, type CompanionState, readCompanionState } from './companion-state.ts'
import type { PairingWindow } from './pairing-window.ts'
import { SecureSessionSocket } from './secure-session-socket.ts'

/** A client that opened a connection has this long for each handshake message. */
const HANDSHAKE_STEP_MS = 10_000
/** Ephemeral keys of recent handshakes: one seen again is a replay and is refused outright. */
const SEEN_EPHEMERALS = 4096

export interface CompanionGateOptions {
  /** State dir (companion.json): re-read for every handshake, so a revoke from another process counts at once. */
  dir: string
  state: CompanionState
  /** The open pairing code, if any. */
  pairing: PairingWindow | null
  /** Told about pairings and refusals (the CLI prints them). */
  log?: (line: string) => void
}

export interface CompanionGate {
  /**
   * Runs the companion handshake on a freshly upgraded WebSocket: a pairing (the connection then
   * closes) or an IK handshake of a paired client, which yields the socket its Session runs on.
   * Resolves null when the connection ended or was refused.
   */
  accept(ws: WebSocket): Promise<SessionSocket | null>
  /** Refusals so far by reason (tests and `stats`). */
  readonly refusals: Map<string, number>
  close(): void
}

export function createCompanionGate(opts: CompanionGateOptions): CompanionGate {
  const { dir, state } = opts
  const keys = { secretKey: fromHex(state.secretKey), publicKey: fromHex(state.publicKey) }
  const seen = new Set<string>()
  const live = new Set<SecureSessionSocket>()
  const refusals = new Map<string, number>()
  const log = opts.log ?? (() => {})

  const refuse = (ws: WebSocket, code: number, reason: string): null => {
    refusals.set(reason, (refusals.get(reason) ?? 0) + 1)
    log(`companion: refused a connection: ${reason}`)
    ws.close(code, reason)
    return null
  }

  // A revoke (`--revoke NAME`, another process) ends that client's live connections too.
  const stateFile = join(dir, 'companion.json')
  const onStateChange = (): void => {
    let current: CompanionState | null
    try {
      current = readCompanionState(dir)
    } catch {
      return // a half-visible file cannot happen (rename), an unreadable one keeps the last view
    }
    const keysNow = new Set((current?.clients ?? []).map((c) => c.publicKey))
    for (const s of live) if (!keysNow.has(s.client.publicKey)) s.close(SecureClose.refused, 'revoked')
  }
  watchFile(stateFile, { interval: 500, persistent: false }, onStateChange)

  const pair = async (ws: WebSocket, next: NextMessage, hello: Uint8Array): Promise<null> => {
    const window = opts.pairing
    if (!window) return refuse(ws, SecureClose.refused, 'no pairing window')
    const why = window.begin()
    if (why) return refuse(ws, SecureClose.refused, why)
    let done = false
    ws.once('close', () => {
      if (!done) window.failed() // an abandoned attempt counts: it may have been a guess
    })
    try {
      if (hello.length !== 1 + SID_BYTES + 32) throw new PairingError('bad pairing hello')
      const cpace = new CpaceParty(window.code, hello.slice(1, 1 + SID_BYTES))
      const k = cpace.finish(hello.subarray(1 + SID_BYTES), false)
      ws.send(concatBytes(Uint8Array.of(Msg.pairReply), cpace.share))
      const confirm = await next()
      const mine =
        confirm && confirm[0] === Msg.pairConfirm ? nobleAead(k.c2d).open(0, confirm.subarray(1), k.transcript) : null
      if (!mine || mine.length < 32) {
        done = true
        window.failed()
        return refuse(ws, SecureClose.refused, 'wrong code')
      }
      const clientKey = toHex(mine.subarray(0, 32))
      const name =
        new TextDecoder()
          .decode(mine.subarray(32))
          .replace(/[^\w .@-]/g, '')
          .slice(0, 64) || 'client'
      const c = addPairedClient(dir, name, clientKey)
      done = true
      window.succeeded()
      const answer = new TextEncoder().encode(JSON.stringify({ name: state.name, token: state.token }))
      ws.send(
        concatBytes(
          Uint8Array.of(Msg.pairDone),
          nobleAead(k.d2c).seal(0, concatBytes(keys.publicKey, answer), k.transcript),
        ),
      )
      log(`companion: paired with "${c.name}"; the pairing code is used up`)
      ws.close(1000, 'paired')
      return null
    } catch (e) {
      if (!done) {
        done = true
        window.failed()
      }
      return refuse(ws, SecureClose.tampered, (e as Error).message || 'bad pairing message')
    }
  }

  const auth = (ws: WebSocket, m1: Uint8Array): SessionSocket | null => {
    const r = new IkResponder(keys)
    let seenClient: ReturnType<IkResponder['readMessage1']>
    try {
      seenClient = r.readMessage1(m1.subarray(1))
    } catch (e) {
      if (e instanceof HandshakeError) return refuse(ws, SecureClose.refused, 'handshake does not authenticate')
      throw e
    }
    const eph = toHex(seenClient.clientEphemeral)
    if (seen.has(eph)) return refuse(ws, SecureClose.refused, 'replayed handshake')
    seen.add(eph)
    if (seen.size > SEEN_EPHEMERALS) seen.delete(seen.values().next().value!)
    const publicKey = toHex(seenClient.clientStatic)
    const client = (readCompanionState(dir)?.clients ?? []).find((c) => c.publicKey === publicKey)
    if (!client) return refuse(ws, SecureClose.refused, 'not paired')
    const { message, result } = r.writeMessage2()
    ws.send(concatBytes(Uint8Array.of(Msg.auth2), message))
    const sock = new SecureSessionSocket(ws, new SecureChannel(result.sendKey, result.recvKey, nodeAead), client)
    live.add(sock)
    sock.once('close', () => live.delete(sock))
    return sock
  }

  return {
    refusals,
    accept: async (ws) => {
      const next = messageReader(ws)
      const first = await next()
      if (!first) return null
      try {
        if (first[0] === Msg.pairHello) return await pair(ws, next, first)
        if (first[0] === Msg.auth1) {
          const s = auth(ws, first)
          next.stop()
          return s
        }
        return refuse(ws, SecureClose.tampered, 'not a companion handshake')
      } finally {
        next.stop()
      }
    },
    close: () => {
      unwatchFile(stateFile, onStateChange)
      for (const s of live) s.terminate()
      live.clear()
    },
  }
}

type NextMessage = (() => Promise<Uint8Array | null>) & { stop(): void }

/**
 * Reads handshake messages one at a time; null when the connection ended, the step timed out, or a
 * message was larger than any handshake message (then the connection is closed).
 */
function messageReader(ws: WebSocket): NextMessage {
  const queue: Uint8Array[] = []
  let waiter: ((m: Uint8Array | null) => void) | null = null
  let ended = false
  const onMessage = (data: Buffer | Buffer[] | ArrayBuffer): void => {
    const m = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data)
    if (m.length > MAX_HANDSHAKE_BYTES) {
      ended = true
      ws.close(SecureClose.tampered, 'handshake message too large')
    }
    const w = waiter
    waiter = null
    if (w) w(ended ? null : m)
    else if (!ended) queue.push(m)
  }
  const onClose = (): void => {
    ended = true
    const w = waiter
    waiter = null
    w?.(null)
  }
  ws.on('message', onMessage)
  ws.on('close', onClose)
  const next = (() => {
    const q = queue.shift()
    if (q) return Promise.resolve(q)
    if (ended) return Promise.resolve(null)
    return new Promise<Uint8Array | null>((resolve) => {
      const timer = setTimeout(() => {
        waiter = null
        ws.close(SecureClose.refused, 'handshake timed out')
        resolve(null)
      }, HANDSHAKE_STEP_MS)
      waiter = (m) => {
        clearTimeout(timer)
        resolve(m)
      }
    })
  }) as NextMessage
  next.stop = () => {
    ws.off('message', onMessage)
    ws.off('close', onClose)
  }
  return next
}
