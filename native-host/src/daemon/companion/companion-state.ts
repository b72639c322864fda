import { randomBytes } from 'node:crypto'
import { mkdirSync, openSync, readFileSync, renameSync, writeSync, closeSync, fstatSync } from 'node:fs'
import { hostname, homedir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair, toHex } from '@tidepool/daemon-bridge/secure'

/** One client that paired with this companion; its key is what lets it in. */
export interface PairedClient {
  name: string
  /** X25519 public key, hex. */
  publicKey: string
  pairedAt: number
}

/** What a companion keeps in its state dir (companion.json, mode 0600). */
export interface CompanionState {
  name: string
  /** The daemon's static X25519 key pair, hex. */
  secretKey: string
  publicKey: string
  /** The bridge token, handed to clients inside the pairing exchange (never in clear). */
  token: string
  clients: PairedClient[]
}

export function defaultCompanionDir(env: Record<string, string | undefined> = process.env): string {
  const base = env.XDG_STATE_HOME || join(homedir(), '.local', 'state')
  return join(base, 'tidepool', 'companion')
}

const FILE = 'companion.json'

/** Reads the state, refusing a file others can read (it holds the private key). Null if none yet. */
export function readCompanionState(dir: string): CompanionState | null {
  let fd: number
  try {
    fd = openSync(join(dir, FILE), 'r')
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return null
    throw e
  }
  try {
    const st = fstatSync(fd)
    if (process.platform !== 'win32' && (st.mode & 0o077) !== 0)
      throw new Error(`${join(dir, FILE)} is readable by group or others; run chmod 600 on it`)
    const s = JSON.parse(readFileSync(fd, 'utf8')) as CompanionState
    if (typeof s.secretKey !== 'string' || typeof s.token !== 'string' || !Array.isArray(s.clients))
      throw new Error(`${join(dir, FILE)} is not a companion state file`)
    return s
  } finally {
    closeSync(fd)
  }
}

/** Writes atomically (temp file + rename), so a revoke from another process never leaves half a file. */
export function writeCompanionState(dir: string, s: CompanionState): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const tmp = join(dir, `${FILE}.${process.pid}.${randomBytes(4).toString('hex')}`)
  const fd = openSync(tmp, 'wx', 0o600)
  try {
    writeSync(fd, `${JSON.stringify(s, null, 2)}\n`)
  } finally {
    closeSync(fd)
  }
  renameSync(tmp, join(dir, FILE))
}

export function loadOrCreateCompanionState(dir: string, name?: string): CompanionState {
  const s = readCompanionState(dir)
  if (s) {
    if (name && s.name !== name) {
      s.name = name
      writeCompanionState(dir, s)
    }
    return s
  }
  const k = generateKeyPair()
  const fresh: CompanionState = {
    name: name || hostname(),
    secretKey: toHex(k.secretKey),
    publicKey: toHex(k.publicKey),
    token: randomBytes(32).toString('hex'),
    clients: [],
  }
  writeCompanionState(dir, fresh)
  return fresh
}

/**
 * Adds a client (re-read first: another process may have revoked one meanwhile). A name already taken
 * by another key gets a suffix, so `--revoke NAME` always means one client.
 */
export function addPairedClient(dir: string, name: string, publicKey: string): PairedClient {
  const s = readCompanionState(dir)
  if (!s) throw new Error('companion state vanished')
  const clients = s.clients.filter((c) => c.publicKey !== publicKey)
  let unique = name || 'client'
  for (let i = 2; clients.some((c) => c.name === unique); i++) unique = `${name}-${i}`
  const c: PairedClient = { name: unique, publicKey, pairedAt: Date.now() }
  s.clients = [...clients, c]
  writeCompanionState(dir, s)
  return c
}

/** Removes the client named `name`; false if there is none. */
export function revokePairedClient(dir: string, name: string): boolean {
  const s = readCompanionState(dir)
  if (!s) return false
  const left = s.clients.filter((c) => c.name !== name)
  if (left.length === s.clients.length) return false
  s.clients = left
  writeCompanionState(dir, s)
  return true
}
