import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { MAX_TORRENT_VALUES, type BtEngine, type Torrent, type TorrentSummary } from '@tidepool/engine'
import { startDaemon } from '@tidepool/native-host'
import { parseArgs, type DownloadArgs } from './args.ts'
import { downloadCommand } from './download-command.ts'
import { CliError, EXIT } from './errors.ts'
import { runMonitor } from './monitor.ts'

const dirs: string[] = []
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})
async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'tp-cli-'))
  dirs.push(d)
  return d
}

async function runDownload(argv: string[]): Promise<{ code: number; error?: CliError; out: string }> {
  let out = ''
  try {
    const code = await downloadCommand(parseArgs(argv) as DownloadArgs, {
      out: (s) => void (out += s),
      err: () => {},
      tty: false,
      signal: new AbortController().signal,
    })
    return { code, out }
  } catch (e) {
    if (e instanceof CliError) return { code: e.exitCode, error: e, out }
    throw e
  }
}

describe('CLI failures end with one clear line and a distinct exit code', () => {
  it('a missing torrent file', async () => {
    const d = await tmp()
    const r = await runDownload(['download', join(d, 'nope.torrent'), '--out', d])
    expect(r.code).toBe(EXIT.badTorrent)
    expect(r.error?.message).toMatch(/^bad torrent file .*nope\.torrent: ENOENT$/)
  })

  it('a file that is not a torrent', async () => {
    const d = await tmp()
    await writeFile(join(d, 'junk.torrent'), 'hello, not bencode')
    const r = await runDownload(['download', join(d, 'junk.torrent'), '--out', join(d, 'out')])
    expect(r.code).toBe(EXIT.badTorrent)
    expect(r.error?.message).toMatch(/^bad torrent .*junk\.torrent: not a torrent file/)
  })

  it('a torrent over the parser limits (millions of empty strings in an unused key) is a bad torrent', async () => {
    const d = await tmp()
    const info = `d6:lengthi1e4:name1:x12:piece lengthi16384e6:pieces20:${'x'.repeat(20)}e`
    await writeFile(join(d, 'flood.torrent'), `d4:info${info}4:junkl${'0:'.repeat(MAX_TORRENT_VALUES)}ee`)
    // --timeout: without the limits it parses, and waits for peers that never come
    const r = await runDownload(['download', join(d, 'flood.torrent'), '--out', join(d, 'out'), '--timeout', '3'])
    expect(r.code).toBe(EXIT.badTorrent)
    expect(r.error?.message).toMatch(/^bad torrent .*flood\.torrent: not a torrent file: more than 3000000 values$/)
  })

  it('a daemon that is not there', async () => {
    const d = await tmp()
    await writeFile(join(d, 'token'), 'ab'.repeat(32))
    const r = await runDownload([
      'download',
      `magnet:?xt=urn:btih:${'a'.repeat(40)}`,
      '--out',
      d,
      '--daemon-url',
      'ws://127.0.0.1:1',
      '--token-file',
      join(d, 'token'),
    ])
    expect(r.code).toBe(EXIT.daemonUnreachable)
    expect(r.error?.message).toMatch(/^daemon unreachable: ws:\/\/127\.0\.0\.1:1/)
  })

  it('a daemon that goes away during the download', async () => {
    const d = await tmp()
    const token = 'cd'.repeat(32)
    await writeFile(join(d, 'token'), token)
    const daemon = await startDaemon({ port: 0, token, roots: { downloads: d } })
    const run = runDownload([
      'download',
      `magnet:?xt=urn:btih:${'b'.repeat(40)}`,
      '--out',
      d,
      '--json',
      '--daemon-url',
      daemon.url,
      '--token-file',
      join(d, 'token'),
    ])
    await new Promise((r) => setTimeout(r, 300))
    await daemon.close()
    const r = await run
    expect(r.code).toBe(EXIT.daemonUnreachable)
    expect(r.error?.message).toMatch(/^daemon unreachable: connection lost/)
    expect(r.out).toContain('"connecting":0') // it was running and printing status before
    // the harness turns the DHT off (TIDEPOOL_DHT=off): the real engine's status says so
    expect(r.out).toContain('"dht":{"state":"off","nodes":0}')
  })
})

// The monitor's decisions, driven by stand-in torrents (no network).
function fakeTorrent(
  s: Partial<TorrentSummary>,
  o: { complete?: boolean; everConnected?: boolean; onWaiter?: (fn: () => void) => void } = {},
): Torrent {
  const summary = {
    infoHash: 'ab'.repeat(20),
    name: 'x',
    totalSize: 10,
    downloaded: 0,
    progress: 0,
    status: 'downloading',
    downloadRate: 0,
    uploadRate: 0,
    uploadedTotal: 0,
    downloadedTotal: 0,
    connected: 0,
    connecting: 0,
    seeds: 0,
    swarmSize: 0,
    etaSec: null,
    ratio: 0,
    addedAt: 0,
    savePath: 'downloads',
    ...s,
  } as TorrentSummary
  return {
    infoHash: summary.infoHash,
    summary: () => summary,
    isComplete: () => !!o.complete,
    everConnected: !!o.everConnected,
    bannedPeers: () => ['10.0.0.3:1'],
    hashFailures: 2,
    droppedPeers: () => [{ peer: '10.0.0.4:1', reason: 'rejected 7 requests, delivered 0 blocks' }],
    onNextCompletion: (fn: () => void) => o.onWaiter?.(fn),
    sessions: new Map([['10.0.0.5:1', { conn: { encryption: 'rc4', socket: { transport: 'utp' } } }]]),
    webSeeds: { rows: () => [] },
    pool: {
      allPeers: () => [
        {
          key: '10.0.0.6:1',
          lastError: 'encryption handshake failed: peer closed the connection during the MSE handshake',
        },
        { key: '10.0.0.7:1' },
      ],
    },
  } as unknown as Torrent
}

describe('runMonitor', () => {
  const engine = {
    status: () => ({ dht: { state: 'ready', nodes: 42, port: 6881 } }),
    incomingRefusedByEncryption: () => 2,
    getSettings: () => ({ encryption: 'require' }),
  } as unknown as BtEngine
  const base = {
    json: true,
    tty: false,
    timeoutSec: null,
    keepSeeding: false,
    signal: new AbortController().signal,
    intervalMs: 5,
  }

  it('prints a done line and exits 0 when everything is verified', async () => {
    const lines: string[] = []
    const code = await runMonitor(engine, [fakeTorrent({ progress: 1, status: 'seeding' }, { complete: true })], {
      ...base,
      out: (s) => void lines.push(s),
    })
    expect(code).toBe(0)
    const last = JSON.parse(lines.filter((l) => l.includes('"done":true'))[0]!)
    expect(last).toMatchObject({
      infoHash: 'ab'.repeat(20),
      done: true,
      progress: 1,
      banned: ['10.0.0.3:1'],
      hashFailures: 2,
    })
    expect(last.dropped).toEqual([{ peer: '10.0.0.4:1', reason: 'rejected 7 requests, delivered 0 blocks' }])
    expect(last.encryption).toEqual({ rc4: 1, 'plaintext-in-mse': 0, plain: 0 })
    expect(last.transport).toEqual({ tcp: 0, utp: 1 })
    expect(last.dht).toEqual({ state: 'ready', nodes: 42 })
  })

  it('reports a completion the moment it happens, not at the next status tick', async () => {
    const lines: string[] = []
    const state = { complete: false }
    let completed: (() => void) | null = null
    const t = fakeTorrent({ progress: 1, status: 'seeding' }, { onWaiter: (fn) => (completed = fn) })
    ;(t as unknown as { isComplete: () => boolean }).isComplete = () => state.complete
    const p = runMonitor(engine, [t], { ...base, intervalMs: 10_000, out: (s) => void lines.push(s) })
    await new Promise((r) => setTimeout(r, 50))
    const at = Date.now()
    state.complete = true
    completed!()
    expect(await p).toBe(0)
    expect(Date.now() - at).toBeLessThan(1000)
    expect(lines.some((l) => l.includes('"done":true'))).toBe(true)
  })

  it('no peers before the timeout', async () => {
    const err = await runMonitor(engine, [fakeTorrent({})], { ...base, out: () => {}, timeoutSec: 0.05 }).catch(
      (e) => e,
    )
    expect(err).toBeInstanceOf(CliError)
    expect(err.exitCode).toBe(EXIT.timeout)
    expect(err.message).toMatch(/^no peers before the timeout/)
    // why: the last error of each peer tried, and what the encryption policy refused
    expect(err.message).toContain(
      '10.0.0.6:1: encryption handshake failed: peer closed the connection during the MSE handshake',
    )
    expect(err.message).toContain('2 incoming connections refused by the encryption policy (--encryption require)')
    expect(err.message).not.toContain('10.0.0.7:1')
  })

  it('a stalled download with peers times out with its own message', async () => {
    const err = await runMonitor(engine, [fakeTorrent({ connected: 2 }, { everConnected: true })], {
      ...base,
      out: () => {},
      timeoutSec: 0.05,
    }).catch((e) => e)
    expect(err.exitCode).toBe(EXIT.timeout)
    expect(err.message).toMatch(/^timed out after 0.05s: x incomplete/)
  })

  it('disk full', async () => {
    const err = await runMonitor(engine, [fakeTorrent({ status: 'error', error: 'no-space: disk full' })], {
      ...base,
      out: () => {},
    }).catch((e) => e)
    expect(err.exitCode).toBe(EXIT.diskFull)
    expect(err.message).toBe('disk full: x: no-space: disk full')
  })

  it('JSON status lines come at least once a second per torrent', async () => {
    const lines: string[] = []
    const ac = new AbortController()
    const p = runMonitor(engine, [fakeTorrent({ connected: 1, connecting: 2 })], {
      ...base,
      intervalMs: undefined,
      out: (s) => void lines.push(s),
      signal: ac.signal,
    })
    await new Promise((r) => setTimeout(r, 1100))
    ac.abort()
    expect(await p).toBe(EXIT.interrupted)
    const status = lines.map((l) => JSON.parse(l))
    expect(status.length).toBeGreaterThanOrEqual(2)
    expect(status[0]).toMatchObject({ connected: 1, connecting: 2, progress: 0, downloadRate: 0 })
  })
})
