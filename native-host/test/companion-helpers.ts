import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BridgeClient } from '@tidepool/daemon-bridge'
import { nodeAead } from '@tidepool/daemon-bridge/node'
import {
  type CompanionIdentity,
  connectCompanion,
  newCompanionIdentity,
  type PairedCompanion,
  pairWithCompanion,
} from '@tidepool/daemon-bridge/secure'
import { createCompanionGate, type CompanionGate } from '../src/daemon/companion/companion-gate.ts'
import { loadOrCreateCompanionState } from '../src/daemon/companion/companion-state.ts'
import { newPairingCode, PairingWindow, type PairingWindowOptions } from '../src/daemon/companion/pairing-window.ts'
import { startDaemon, type RunningDaemon } from '../src/index.ts'
import { WS } from './helpers.ts'

export interface TestCompanion {
  daemon: RunningDaemon
  gate: CompanionGate
  pairing: PairingWindow
  stateDir: string
  /** The root's folder (`scratch` unless given). */
  dir: string
  url: string
  /** Pairs a new client identity with the current code; returns what the client keeps. */
  pair(name: string, code?: string): Promise<{ identity: CompanionIdentity; paired: PairedCompanion }>
  connect(identity: CompanionIdentity, paired: PairedCompanion): Promise<BridgeClient>
  /** Opens a fresh pairing window (the previous code is used up after one pairing). */
  reopenPairing(opts?: PairingWindowOptions): PairingWindow
  stop(): Promise<void>
}

/** A companion daemon in this process on 127.0.0.1 (the secure channel does not care which address). */
export async function testCompanion(
  opts: { pairing?: PairingWindowOptions; host?: string; root?: string } = {},
): Promise<TestCompanion> {
  const stateDir = await mkdtemp(join(tmpdir(), 'tidepool-companion-state-'))
  const dir = await mkdtemp(join(tmpdir(), 'tidepool-companion-root-'))
  const state = loadOrCreateCompanionState(stateDir, 'test-companion')
  const window = { current: new PairingWindow(newPairingCode(), { minIntervalMs: 0, ...opts.pairing }) }
  const gate = createCompanionGate({
    dir: stateDir,
    state,
    get pairing() {
      return window.current
    },
  })
  const daemon = await startDaemon({
    host: opts.host ?? '127.0.0.1',
    token: state.token,
    roots: { [opts.root ?? 'scratch']: dir },
    companion: gate,
  })
  const clients: BridgeClient[] = []
  return {
    daemon,
    gate,
    get pairing() {
      return window.current
    },
    stateDir,
    dir,
    url: daemon.url,
    async pair(name, code) {
      const identity = newCompanionIdentity()
      const paired = await pairWithCompanion({
        url: daemon.url,
        code: code ?? window.current.code,
        clientName: name,
        identity,
        WebSocketImpl: WS,
      })
      return { identity, paired }
    },
    async connect(identity, paired) {
      const c = await connectCompanion({ paired, identity, WebSocketImpl: WS, aead: nodeAead, sendMode: 'fragments' })
      clients.push(c)
      return c
    },
    reopenPairing(o) {
      window.current = new PairingWindow(newPairingCode(), { minIntervalMs: 0, ...opts.pairing, ...o })
      return window.current
    },
    async stop() {
      for (const c of clients) c.close()
      await daemon.close()
      await rm(stateDir, { recursive: true, force: true })
      await rm(dir, { recursive: true, force: true })
    },
  }
}
