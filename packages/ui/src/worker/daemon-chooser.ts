/**
 * Which daemon the engine runs on: the local helper (URL and token from the page) or a paired
 * companion on another device (docs/native-host.md "Companion"). The pairing record (this browser's
 * key pair, the companion's key and token) lives in the worker's StateStore; the code is used once.
 */
import { Op, type BridgeClient } from '@tidepool/daemon-bridge'
import {
  type CompanionIdentity,
  connectCompanion,
  newCompanionIdentity,
  type PairedCompanion,
  pairWithCompanion,
} from '@tidepool/daemon-bridge/secure'
import type { StateStore } from '@tidepool/engine'

export type DaemonKind = 'local' | 'companion'

export interface CompanionRecord {
  identity: CompanionIdentity
  paired: PairedCompanion
}

export interface DaemonInUse {
  /** What the engine is set to use. */
  use: DaemonKind
  /** The paired companion, if any. */
  companion: { name: string; url: string; pairedAt: number } | null
  /** Round trip of a ping to the daemon in use, when connected. */
  latencyMs: number | null
  /** Where the daemon in use keeps each root (the companion's own folders). */
  rootPaths: Record<string, string>
}

const RECORD_KEY = 'companion/record'
const USE_KEY = 'companion/use'
const DEFAULT_PORT = 8742
const enc = new TextEncoder()
const dec = new TextDecoder()

/** "10.0.0.5", "10.0.0.5:8742" or "ws://10.0.0.5:8742" → ws://10.0.0.5:8742. */
export function companionUrl(input: string): string {
  const t = input.trim()
  const withScheme = /^wss?:\/\//i.test(t) ? t : `ws://${t}`
  const u = new URL(withScheme)
  if (!u.port) u.port = String(DEFAULT_PORT)
  return `${u.protocol}//${u.host}`
}

export class DaemonChooser {
  private record: CompanionRecord | null = null
  private use: DaemonKind = 'local'
  private loaded: Promise<void> | null = null
  private current: BridgeClient | null = null

  constructor(
    private readonly state: StateStore,
    private readonly connectLocal: (url: string, token: string) => Promise<BridgeClient>,
  ) {}

  private load(): Promise<void> {
    this.loaded ??= (async () => {
      const r = await this.state.get(RECORD_KEY)
      // a record that does not parse is treated as no pairing: the user pairs again
      if (r) this.record = parseRecord(dec.decode(r))
      const u = await this.state.get(USE_KEY)
      this.use = u && dec.decode(u) === 'companion' && this.record ? 'companion' : 'local'
    })()
    return this.loaded
  }

  /** Connects to the daemon in use: the companion's channel, or the local helper at `url` with `token`. */
  async connect(url: string, token: string): Promise<BridgeClient> {
    await this.load()
    const c =
      this.use === 'companion' && this.record
        ? await connectCompanion({ paired: this.record.paired, identity: this.record.identity, sendMode: 'scratch' })
        : await this.connectLocal(url, token)
    this.current = c
    return c
  }

  /** Pairs with the companion at `address` using `code`, and makes it the daemon in use. */
  async pair(address: string, code: string, clientName: string): Promise<{ name: string; url: string }> {
    await this.load()
    const url = companionUrl(address)
    const identity = newCompanionIdentity()
    const paired = await pairWithCompanion({ url, code, clientName, identity })
    this.record = { identity, paired }
    await this.state.set(RECORD_KEY, enc.encode(JSON.stringify(this.record)))
    await this.setUse('companion')
    return { name: paired.name, url }
  }

  async inUse(): Promise<DaemonKind> {
    await this.load()
    return this.use
  }

  async setUse(use: DaemonKind): Promise<void> {
    await this.load()
    this.use = use === 'companion' && this.record ? 'companion' : 'local'
    await this.state.set(USE_KEY, enc.encode(this.use))
  }

  /** Drops the pairing (the companion keeps listing this browser until revoked there). */
  async forget(): Promise<void> {
    await this.load()
    this.record = null
    this.use = 'local'
    await this.state.delete(RECORD_KEY)
    await this.state.set(USE_KEY, enc.encode('local'))
  }

  async status(): Promise<DaemonInUse> {
    await this.load()
    const c = this.current && !this.current.closed ? this.current : null
    let latencyMs: number | null = null
    if (c) {
      const t0 = performance.now()
      try {
        await c.request(Op.ping, {})
        latencyMs = Math.round((performance.now() - t0) * 10) / 10
      } catch {
        latencyMs = null // the connection just ended: the status says unreachable
      }
    }
    const p = this.record?.paired
    return {
      use: this.use,
      companion: p ? { name: p.name, url: p.url, pairedAt: p.pairedAt } : null,
      latencyMs,
      rootPaths: c ? { ...c.rootPaths } : {},
    }
  }
}

function parseRecord(s: string): CompanionRecord | null {
  try {
    const r = JSON.parse(s) as CompanionRecord
    const ok =
      typeof r?.identity?.secretKey === 'string' &&
      typeof r.paired?.daemonKey === 'string' &&
      typeof r.paired.url === 'string' &&
      typeof r.paired.token === 'string'
    return ok ? r : null
  } catch {
    return null
  }
}
