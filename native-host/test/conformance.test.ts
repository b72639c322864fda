import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { allCases, runConformance } from '@tidepool/daemon-bridge/conformance'
import { connectBridgeNode } from '@tidepool/daemon-bridge/node'
import { startDaemon, type RunningDaemon } from '../src/index.ts'
import type { WebSocketLike } from '@tidepool/daemon-bridge'
import { nodeAead } from '@tidepool/daemon-bridge/node'
import { openCompanionSocket } from '@tidepool/daemon-bridge/secure'
import { testCompanion } from './companion-helpers.ts'
import { TOKEN, until, WS } from './helpers.ts'

let daemon: RunningDaemon
let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tidepool-conformance-'))
  // multicast on explicitly (the suite's environment turns it off by default): the MCAST cases stay on
  // the loopback interface with TTL 0
  daemon = await startDaemon({
    token: TOKEN,
    roots: { conformance: dir },
    allowOrigins: ['chrome-extension://conformance'],
    multicast: true,
    // root-grants on (an empty grants file), so MOVE-004 runs too
    grantsFile: `${dir}-grants.json`,
  })
})
afterAll(async () => {
  await daemon.close()
  await rm(dir, { recursive: true, force: true })
})

describe('conformance suite against our daemon', () => {
  it('passes every case (client sends an allowed Origin)', { timeout: 90_000 }, async () => {
    const report = await runConformance({ url: daemon.url, token: TOKEN, origin: 'chrome-extension://conformance' })
    const failed = report.results.filter((r) => !r.ok).map((r) => `${r.id}: ${r.error}`)
    expect(failed).toEqual([])
    expect(report.passed).toBe(allCases.length)
    expect(allCases.length).toBeGreaterThanOrEqual(43)
    // Everything the suite opened was closed again.
    await until(() => daemon.stats().sockets === 0 && daemon.stats().listeners === 0)
    const s = daemon.stats()
    expect([s.sockets, s.listeners, s.udpSockets, s.files, s.connectsInFlight, s.connectsWaiting]).toEqual([
      0, 0, 0, 0, 0, 0,
    ])
    expect(s.busyCount).toBeGreaterThanOrEqual(1)
    expect(await readdir(dir)).toEqual([]) // the suite removed its scratch files
  })

  it("passes every case with its clients on in-process links (the CLI engine's carrier)", {
    timeout: 90_000,
  }, async () => {
    const clientsBefore = daemon.stats().clients
    let links = 0
    const socket = () => {
      links++
      return daemon.connectInProcess()
    }
    const report = await runConformance({
      url: daemon.url,
      token: TOKEN,
      origin: 'chrome-extension://conformance',
      socket,
    })
    const failed = report.results.filter((r) => !r.ok).map((r) => `${r.id}: ${r.error}`)
    expect(failed).toEqual([])
    expect(report.passed).toBe(allCases.length)
    expect(links).toBeGreaterThanOrEqual(20) // the clients really went over links
    await until(
      () => daemon.stats().sockets === 0 && daemon.stats().listeners === 0 && daemon.stats().clients === clientsBefore,
    )
    const s = daemon.stats()
    expect([s.sockets, s.listeners, s.udpSockets, s.files, s.connectsInFlight, s.connectsWaiting]).toEqual([
      0, 0, 0, 0, 0, 0,
    ])
    expect(await readdir(dir)).toEqual([])
  })

  it('passes the portmap cases against a daemon that announces the capability (refusals only: no gateway is contacted)', async () => {
    const pmDir = await mkdtemp(join(tmpdir(), 'tidepool-conformance-pm-'))
    // No method to try and a loopback "gateway": even a mapping made by mistake could not leave the machine.
    const pm = await startDaemon({
      token: TOKEN,
      roots: { conformance: pmDir },
      portMapping: { gateway: '127.0.0.1', localAddress: '127.0.0.1', methods: [] },
    })
    try {
      const report = await runConformance({ url: pm.url, token: TOKEN }, { only: ['PMAP'] })
      expect(report.results.filter((r) => !r.ok).map((r) => `${r.id}: ${r.error}`)).toEqual([])
      expect(report.passed).toBe(2)
      expect(await readdir(pmDir)).toEqual([])
      // The cases above ran their capability branch: this daemon announces portmap, the shared one does not.
      const c = await connectBridgeNode({ url: pm.url, token: TOKEN })
      expect(c.capabilities.has('portmap')).toBe(true)
      c.close()
      const plain = await connectBridgeNode({ url: daemon.url, token: TOKEN, origin: 'chrome-extension://conformance' })
      expect([...plain.capabilities].sort()).toEqual([
        'data-plane',
        'data-plane-runs',
        'fs-move',
        'root-grants',
        'stream-http',
        'udp-ipv6-only',
        'udp-multicast',
        'utp',
      ])
      plain.close()
    } finally {
      await pm.close()
      await rm(pmDir, { recursive: true, force: true })
    }
  })
})

describe('conformance suite against a daemon without multicast', () => {
  it('passes the multicast cases by refusing udp.multicast and announcing no capability', {
    timeout: 30_000,
  }, async () => {
    const d = await startDaemon({ token: TOKEN, roots: { conformance: dir }, multicast: false })
    try {
      const report = await runConformance({ url: d.url, token: TOKEN }, { only: ['MCAST'] })
      expect(report.results.filter((r) => !r.ok).map((r) => `${r.id}: ${r.error}`)).toEqual([])
      expect(report.passed).toBe(3)
      expect(d.stats().udpSockets).toBe(0)
    } finally {
      await d.close()
    }
  })
})

describe('conformance suite over the secure channel of a companion daemon', () => {
  it('passes every case that is not about the outer WebSocket, each connection through the IK handshake', {
    timeout: 120_000,
  }, async () => {
    const c = await testCompanion({ root: 'conformance' })
    try {
      const { identity, paired } = await c.pair('conformance')
      let opened = 0
      const secure = async (): Promise<WebSocketLike> => {
        opened++
        return openCompanionSocket({ paired, identity, WebSocketImpl: WS, aead: nodeAead })
      }
      const report = await runConformance({ url: c.url, token: paired.token, secure })
      expect(report.results.filter((r) => !r.ok).map((r) => `${r.id}: ${r.error}`)).toEqual([])
      expect(report.skipped).toBe(allCases.filter((x) => x.plainOnly).length)
      expect(report.passed).toBe(allCases.length - report.skipped)
      expect(opened).toBeGreaterThanOrEqual(30)
      expect(c.daemon.stats().files).toBe(0)
    } finally {
      await c.stop()
    }
  })
})

describe('conformance suite against a daemon without the data plane', () => {
  it('passes the data-plane cases by refusing its ops and announcing no capability', { timeout: 30_000 }, async () => {
    const d = await startDaemon({ token: TOKEN, roots: { conformance: dir }, dataPlane: false })
    try {
      const report = await runConformance({ url: d.url, token: TOKEN }, { only: ['DP-'] })
      expect(report.results.filter((r) => !r.ok).map((r) => `${r.id}: ${r.error}`)).toEqual([])
      const c = await connectBridgeNode({ url: d.url, token: TOKEN })
      expect(c.capabilities.has('data-plane')).toBe(false)
      expect(c.capabilities.has('data-plane-runs')).toBe(false)
      expect(c.dataPlane).toBeUndefined()
      c.close()
    } finally {
      await d.close()
    }
  })
})

describe('conformance suite against a daemon without uTP', () => {
  it('passes the uTP cases by refusing transport "utp" and announcing no capability', { timeout: 30_000 }, async () => {
    const d = await startDaemon({ token: TOKEN, roots: { conformance: dir }, utp: false })
    try {
      const report = await runConformance({ url: d.url, token: TOKEN }, { only: ['UTP'] })
      expect(report.results.filter((r) => !r.ok).map((r) => `${r.id}: ${r.error}`)).toEqual([])
      expect(report.passed).toBe(4)
      const c = await connectBridgeNode({ url: d.url, token: TOKEN })
      expect(c.capabilities.has('utp')).toBe(false)
      c.close()
    } finally {
      await d.close()
    }
  })
})
