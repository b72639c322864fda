import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { allCases, runConformance } from '@tidepool/daemon-bridge/conformance'
import { startDaemon, type RunningDaemon } from '../src/index.ts'
import { TOKEN, until } from './helpers.ts'

let daemon: RunningDaemon
let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tidepool-conformance-'))
  daemon = await startDaemon({ token: TOKEN, roots: { conformance: dir }, allowOrigins: ['chrome-extension://conformance'] })
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
    expect(allCases.length).toBeGreaterThanOrEqual(39)
    // Everything the suite opened was closed again.
    await until(() => daemon.stats().sockets === 0 && daemon.stats().listeners === 0)
    const s = daemon.stats()
    expect([s.sockets, s.listeners, s.udpSockets, s.files, s.connectsInFlight, s.connectsWaiting]).toEqual([0, 0, 0, 0, 0, 0])
    expect(s.busyCount).toBeGreaterThanOrEqual(1)
    expect(await readdir(dir)).toEqual([]) // the suite removed its scratch files
  })

  it('passes every case with its clients on in-process links (the CLI engine\'s carrier)', { timeout: 90_000 }, async () => {
    const clientsBefore = daemon.stats().clients
    let links = 0
    const socket = () => {
      links++
      return daemon.connectInProcess()
    }
    const report = await runConformance({ url: daemon.url, token: TOKEN, origin: 'chrome-extension://conformance', socket })
    const failed = report.results.filter((r) => !r.ok).map((r) => `${r.id}: ${r.error}`)
    expect(failed).toEqual([])
    expect(report.passed).toBe(allCases.length)
    expect(links).toBeGreaterThanOrEqual(20) // the clients really went over links
    await until(() => daemon.stats().sockets === 0 && daemon.stats().listeners === 0 && daemon.stats().clients === clientsBefore)
    const s = daemon.stats()
    expect([s.sockets, s.listeners, s.udpSockets, s.files, s.connectsInFlight, s.connectsWaiting]).toEqual([0, 0, 0, 0, 0, 0])
    expect(await readdir(dir)).toEqual([])
  })
})
