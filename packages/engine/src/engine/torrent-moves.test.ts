import { afterEach, describe, expect, it } from 'vitest'
import { createTorrent } from '../metainfo/create-torrent.ts'
import { testDataPlane } from '../platform/data-plane-test-kit.ts'
import { MemoryFilePort, type MemoryFileOp } from '../platform/memory-files.ts'
import { MemoryNetwork } from '../platform/memory-net.ts'
import { MemoryStateStore } from '../platform/memory-state.ts'
import type { IoErrorCode } from '../platform/ports.ts'
import type { Torrent } from '../torrent/torrent.ts'
import { bytesEqual } from '../util/bytes.ts'
import { ManualClock } from '../util/clock.ts'
import { settle } from '../wire/peer-test-kit.ts'
import { BtEngine } from './bt-engine.ts'
import { normalizeSaveDir } from './torrent-moves.ts'

// Moving a torrent's data between folders on the in-memory platform with an injected clock: the data
// is whole in the old folder or the new one whatever happens, and a restart finishes a broken move.

function data(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = (i * seed + (i >> 7)) & 0xff
  return out
}
const fileA = data(70_000, 3)
const fileB = data(50_001, 5)
const fileC = data(33_333, 7)
const FILES = { 'set/a.bin': fileA, 'set/sub/b.bin': fileB, 'set/c.bin': fileC }

const torrentBytes = () =>
  createTorrent({
    name: 'set',
    pieceLength: 16 * 1024,
    files: [
      { path: 'a.bin', data: fileA },
      { path: 'sub/b.bin', data: fileB },
      { path: 'c.bin', data: fileC },
    ],
  })

const live: BtEngine[] = []
afterEach(async () => {
  for (const e of live.splice(0)) await e.stop()
})

/** One engine over `files` and `state` (shared with the engine it replaces after a "crash"). */
async function engine(files: MemoryFilePort, state: MemoryStateStore, keep = true) {
  const clock = new ManualClock(5_000_000)
  const net = new MemoryNetwork({ setTimer: (fn, ms) => clock.setTimeout(fn, ms) })
  const e = new BtEngine({
    platform: { net: net.host('10.0.0.1'), files, state, now: () => clock.now(), ...testDataPlane(files) },
    clock,
    settings: { dhtEnabled: false, localPeerDiscovery: false, portMapping: false },
  })
  if (keep) live.push(e)
  await e.start()
  return { e, clock }
}

function seedFiles(files: MemoryFilePort, root: string, dir = ''): void {
  for (const [p, d] of Object.entries(FILES)) files.put(root, dir ? `${dir}/${p}` : p, d)
}

function expectWholeAt(files: MemoryFilePort, root: string, dir: string): void {
  for (const [p, d] of Object.entries(FILES)) {
    const got = files.peek(root, dir ? `${dir}/${p}` : p)
    expect(got, `${root}/${dir}/${p} missing`).not.toBeNull()
    expect(bytesEqual(got!, d), `${root}/${dir}/${p} differs`).toBe(true)
  }
}

async function until(what: string, cond: () => boolean, clock: ManualClock): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (cond()) return
    clock.advance(100)
    await settle()
    // hashing (WebCrypto) completes off the event loop's microtasks: give it real time too
    await new Promise((r) => setTimeout(r, 5))
  }
  throw new Error(`timed out waiting for ${what}`)
}

async function seeding(e: BtEngine, clock: ManualClock): Promise<Torrent> {
  const t = await e.add({ torrentFile: await torrentBytes(), recheck: true })
  await until('seeding', () => t.status === 'seeding', clock)
  return t
}

describe('moving a torrent between folders', () => {
  it('moves a running seed to a folder of another root, keeps seeding from there, and a restart finds it', async () => {
    const files = new MemoryFilePort({ roots: ['downloads', 'archive'] })
    const state = new MemoryStateStore()
    seedFiles(files, 'downloads')
    const { e, clock } = await engine(files, state)
    const t = await seeding(e, clock)
    await e.moveTorrent(t.infoHash, 'archive', 'done/2026')
    expectWholeAt(files, 'archive', 'done/2026')
    expect(files.peek('downloads', 'set/a.bin')).toBeNull()
    expect(await files.list('downloads', '')).toEqual([]) // the emptied torrent folder went too
    await until('seeding again', () => t.status === 'seeding', clock)
    const row = e.summaries()[0]!
    expect([row.savePath, row.saveDir, row.moving]).toEqual(['archive', 'done/2026', undefined])
    await e.stop()
    live.splice(0)
    const again = await engine(files, state)
    await until('restored torrent seeding', () => again.e.list()[0]?.status === 'seeding', again.clock)
    expect(again.e.summaries()[0]).toMatchObject({ savePath: 'archive', saveDir: 'done/2026' })
  })

  it('an error half-way leaves every file whole in one folder; after a crash the restart finishes the move', async () => {
    let failMoves = true
    const seen: Array<{ done: number; total: number }> = []
    let watch: BtEngine | null = null
    const fault = (op: MemoryFileOp, _root: string, path: string): IoErrorCode | null => {
      // what the UI would see at each file: the move's progress
      const m = op === 'move' ? watch?.summaries()[0]?.moving : undefined
      if (m) seen.push({ done: m.done, total: m.total })
      return failMoves && op === 'move' && path.endsWith('c.bin') ? 'io' : null
    }
    const files = new MemoryFilePort({ roots: ['downloads', 'archive'], fault })
    const state = new MemoryStateStore()
    seedFiles(files, 'downloads')
    const first = await engine(files, state, false) // never stopped: it "crashes"
    const t = await seeding(first.e, first.clock)
    watch = first.e
    await expect(first.e.moveTorrent(t.infoHash, 'archive', '')).rejects.toMatchObject({ code: 'io' })
    // a.bin and sub/b.bin went, c.bin stayed: each whole, in one place or the other
    expect(bytesEqual(files.peek('archive', 'set/a.bin')!, fileA)).toBe(true)
    expect(bytesEqual(files.peek('archive', 'set/sub/b.bin')!, fileB)).toBe(true)
    expect(bytesEqual(files.peek('downloads', 'set/c.bin')!, fileC)).toBe(true)
    expect(files.peek('downloads', 'set/a.bin')).toBeNull()
    const row = first.e.summaries()[0]!
    expect(row.status).toBe('error')
    expect(row.error).toMatch(/moving the data failed.*Start finishes the move/)
    expect(row.savePath).toBe('downloads') // not relocated: the move is not done
    const total = fileA.length + fileB.length + fileC.length
    expect(seen.map((x) => x.total)).toContain(total)
    expect(seen.some((x) => x.done > 0 && x.done < total)).toBe(true)

    // the engine dies here (no stop, nothing saved after this point); the disk error is gone
    failMoves = false
    const second = await engine(files, state)
    const r = second.e.list()[0]!
    await until('move finished and seeding', () => r.status === 'seeding' && r.savePath === 'archive', second.clock)
    expectWholeAt(files, 'archive', '')
    expect(files.peek('downloads', 'set/c.bin')).toBeNull()
    // verified, not trusted: a full recheck finds every piece
    await second.e.recheckTorrent(r.infoHash)
    await until('rechecked', () => r.status === 'seeding', second.clock)
    expect(r.summary().progress).toBe(1)
    expect(await state.get(`move/${r.infoHash}`)).toBeNull()
  })

  it('a crash between placing a file and removing its source: the restart keeps the placed copy', async () => {
    const files = new MemoryFilePort({ roots: ['downloads', 'archive'] })
    const state = new MemoryStateStore()
    seedFiles(files, 'downloads')
    const first = await engine(files, state, false)
    const t = await seeding(first.e, first.clock)
    await first.e.stopTorrent(t.infoHash)
    // what a journal and the disk look like when the daemon had placed a.bin but not removed its source
    await state.set(
      `move/${t.infoHash}`,
      new TextEncoder().encode(
        JSON.stringify({
          from: { root: 'downloads', dir: '' },
          to: { root: 'archive', dir: 'x' },
          files: ['set/a.bin', 'set/sub/b.bin', 'set/c.bin'],
          restart: false,
        }),
      ),
    )
    files.put('archive', 'x/set/a.bin', fileA)
    const second = await engine(files, state)
    const r = second.e.list()[0]!
    await until('relocated', () => r.savePath === 'archive', second.clock)
    expectWholeAt(files, 'archive', 'x')
    expect(files.peek('downloads', 'set/a.bin')).toBeNull()
    await until('shown as paused', () => r.status === 'paused', second.clock) // it was paused: the move does not start it
    await second.e.startTorrent(r.infoHash)
    await until('seeding', () => r.status === 'seeding', second.clock)
  })

  it('refuses a folder the platform does not serve, a target that exists, and cross-root moves without platform support', async () => {
    const files = new MemoryFilePort({ roots: ['downloads', 'archive'] })
    const state = new MemoryStateStore()
    seedFiles(files, 'downloads')
    files.put('archive', 'taken/set/c.bin', new Uint8Array(3))
    const { e, clock } = await engine(files, state)
    const t = await seeding(e, clock)
    await expect(e.moveTorrent(t.infoHash, 'elsewhere', '')).rejects.toThrow(/not a folder the helper serves/)
    await expect(e.moveTorrent(t.infoHash, 'archive', 'taken')).rejects.toMatchObject({ code: 'exists' })
    await expect(e.moveTorrent(t.infoHash, 'archive', '../up')).rejects.toThrow(/'\.\.'/)
    expect(t.status).toBe('seeding') // nothing was stopped for a move refused up front
    // a daemon without fs-move: within the root works (rename), across roots is refused
    Object.defineProperty(files, 'move', { value: undefined })
    await expect(e.moveTorrent(t.infoHash, 'archive', 'x')).rejects.toMatchObject({ code: 'unsupported' })
    await e.moveTorrent(t.infoHash, 'downloads', 'inner')
    expectWholeAt(files, 'downloads', 'inner')
    await until('seeding from inner', () => t.status === 'seeding', clock)
  })

  it('normalises typed folders and refuses escapes', () => {
    expect(normalizeSaveDir(' a / b/./c/ ')).toBe('a/b/c')
    expect(normalizeSaveDir(undefined)).toBe('')
    expect(() => normalizeSaveDir('a/../../b')).toThrow()
    expect(() => normalizeSaveDir('a\\b')).toThrow()
  })
})

describe('the incomplete folder', () => {
  it('a download runs in the incomplete folder and moves to the folder chosen when adding once complete', async () => {
    // two engines over the in-memory network, real timers (each wait bounded)
    const net = new MemoryNetwork()
    const seedFilesPort = new MemoryFilePort()
    seedFiles(seedFilesPort, 'downloads')
    const seeder = new BtEngine({
      settings: { dhtEnabled: false, localPeerDiscovery: false, portMapping: false },
      platform: {
        net: net.host('10.0.0.1'),
        files: seedFilesPort,
        ...testDataPlane(seedFilesPort),
        state: new MemoryStateStore(),
        now: () => Date.now(),
      },
    })
    live.push(seeder)
    await seeder.start()
    const s = await seeder.add({ torrentFile: await torrentBytes() })
    await realUntil('seeder verified', () => s.status === 'seeding')

    const files = new MemoryFilePort({ roots: ['downloads', 'scratch'] })
    const state = new MemoryStateStore()
    const leech = new BtEngine({
      settings: {
        dhtEnabled: false,
        localPeerDiscovery: false,
        portMapping: false,
        incompleteRoot: 'scratch',
        incompleteDir: 'partial',
      },
      platform: { net: net.host('10.0.0.2'), files, state, now: () => Date.now(), ...testDataPlane(files) },
    })
    live.push(leech)
    await leech.start()
    const t = await leech.add({ torrentFile: await torrentBytes(), savePath: 'downloads', saveDir: 'music' })
    expect(leech.summaries()[0]).toMatchObject({
      savePath: 'scratch',
      saveDir: 'partial',
      completeTo: { root: 'downloads', dir: 'music' },
    })
    t.addPeer('10.0.0.1', seeder.listenPort, 'manual')
    await realUntil('moved to its save folder', () => t.savePath === 'downloads' && t.status === 'seeding')
    expectWholeAt(files, 'downloads', 'music')
    expect(files.peek('scratch', 'partial/set/a.bin')).toBeNull()
    expect(leech.summaries()[0]!.completeTo).toBeUndefined()
  })
})

describe('the incomplete folder across a restart', () => {
  it('a download found complete in the incomplete folder at restart moves to its save folder', async () => {
    const files = new MemoryFilePort({ roots: ['downloads', 'scratch'] })
    const state = new MemoryStateStore()
    const first = await engine(files, state)
    await first.e.setSettings({ incompleteRoot: 'scratch', incompleteDir: 'partial' })
    const t = await first.e.add({ torrentFile: await torrentBytes(), savePath: 'downloads', saveDir: 'music' })
    expect(t.savePath).toBe('scratch')
    await first.e.stop()
    live.splice(0)
    // the data got there while Tidepool was not running (or it finished just before a crash)
    seedFiles(files, 'scratch', 'partial')
    const second = await engine(files, state)
    const r = second.e.list()[0]!
    await until('moved to its save folder', () => r.savePath === 'downloads' && r.status === 'seeding', second.clock)
    expectWholeAt(files, 'downloads', 'music')
    expect(second.e.summaries()[0]!.completeTo).toBeUndefined()
  })
})

async function realUntil(what: string, cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('moving while the torrent runs', () => {
  it('a download keeps going during a move across roots, finishes at the new place whole, never paused', async () => {
    const net = new MemoryNetwork()
    const seedPort = new MemoryFilePort()
    seedFiles(seedPort, 'downloads')
    const seeder = new BtEngine({
      settings: { dhtEnabled: false, localPeerDiscovery: false, portMapping: false },
      platform: {
        net: net.host('10.0.0.1'),
        files: seedPort,
        state: new MemoryStateStore(),
        now: () => Date.now(),
        ...testDataPlane(seedPort),
      },
    })
    live.push(seeder)
    await seeder.start()
    const s = await seeder.add({ torrentFile: await torrentBytes() })
    await realUntil('seeder verified', () => s.status === 'seeding')

    const files = new MemoryFilePort({ roots: ['downloads', 'archive'] })
    const leech = new BtEngine({
      // slow enough (about 3 s for the 150 kB) that the move lands in the middle of the download
      settings: { dhtEnabled: false, localPeerDiscovery: false, portMapping: false, downloadRateLimit: 48 * 1024 },
      platform: {
        net: net.host('10.0.0.2'),
        files,
        state: new MemoryStateStore(),
        now: () => Date.now(),
        ...testDataPlane(files),
      },
    })
    live.push(leech)
    await leech.start()
    const t = await leech.add({ torrentFile: await torrentBytes() })
    t.addPeer('10.0.0.1', seeder.listenPort, 'manual')
    await realUntil('part downloaded', () => t.summary().downloaded > 16 * 1024)
    const before = t.summary().downloaded
    expect(before).toBeLessThan(fileA.length + fileB.length + fileC.length)
    await leech.moveTorrent(t.infoHash, 'archive', 'live')
    expect(t.summary().status).toBe('downloading') // it never stopped
    expect(t.sessions.size).toBeGreaterThan(0) // nor dropped its peer
    await realUntil('complete', () => t.isComplete())
    expectWholeAt(files, 'archive', 'live')
    expect(await files.list('downloads', '')).toEqual([])
    expect(leech.torrentLog(t.infoHash).some((l) => /→ paused/.test(l.message))).toBe(false)
    expect(leech.summaries()[0]).toMatchObject({ savePath: 'archive', saveDir: 'live' })
  })
})
