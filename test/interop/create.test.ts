// Torrent creation against real libtorrent 2.0.8: a torrent made by `tidepool create` is downloaded by
// a libtorrent leecher from `tidepool seed` byte for byte, and libtorrent's create_torrent (v1_only)
// and `tidepool create` give the same info-hash for the same files and settings.
import { spawnSync } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { diffTrees } from '../fixtures/compare-trees.ts'
import { libtorrentAvailable, PYTHON, startLibtorrent } from '../fixtures/libtorrent.ts'
import { awkwardFiles, makeTorrent } from '../fixtures/make-torrent.ts'
import { createSwarm, type Swarm } from '../fixtures/swarm.ts'
import { tidepoolSeed } from '../fixtures/tidepool-cli.ts'
import { tidepoolCreate } from '../fixtures/tidepool-create.ts'

const LT_CREATE = fileURLToPath(new URL('../fixtures/libtorrent-create.py', import.meta.url))

interface LtCreated {
  infoHash: string
  pieceLength: number
  files: string[]
}

function libtorrentCreate(
  path: string,
  out: string,
  o: { pieceSize?: number; private?: boolean; trackers?: string[][]; webSeeds?: string[]; sortedWalk?: boolean } = {},
): LtCreated {
  const args = [LT_CREATE, path, '--out', out, '--piece-size', String(o.pieceSize ?? 0)]
  if (o.private) args.push('--private')
  for (const t of o.trackers ?? []) args.push('--tracker', t.join(','))
  for (const w of o.webSeeds ?? []) args.push('--web-seed', w)
  if (o.sortedWalk) args.push('--sorted-walk')
  const r = spawnSync(PYTHON, args, { encoding: 'utf8', timeout: 60_000 })
  if (r.status !== 0) throw new Error(`libtorrent-create.py failed (${r.status}): ${r.stderr}`)
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as LtCreated
}

describe.skipIf(!libtorrentAvailable())('torrent creation', () => {
  let swarm: Swarm
  beforeEach(async () => {
    swarm = await createSwarm('tidepool-create-')
  })
  afterEach(async () => {
    await swarm.close()
  })

  it('libtorrent downloads a (private) torrent made by `tidepool create` from `tidepool seed`, byte for byte', async () => {
    const pieceLength = 32 * 1024
    // content only: the fixture's own .torrent is not used
    const t = await swarm.torrent({
      name: 'made by tidepool',
      files: awkwardFiles(pieceLength).concat([{ path: ['big.bin'], size: 3 * 1024 * 1024 + 11 }]),
      pieceLength,
    })
    const torrentPath = join(swarm.work, 'created.torrent')
    const made = await tidepoolCreate(t.contentPath, {
      out: torrentPath,
      trackers: [[swarm.tracker.httpUrl]],
      comment: 'interop',
      // private: both ends find each other through the tracker only
      private: true,
    })
    expect(made.created.totalBytes).toBe(t.totalSize)
    expect(made.progress.length).toBeGreaterThan(0)
    const seed = swarm.own(await tidepoolSeed(torrentPath, { data: t.dir }))
    await expect
      .poll(() => swarm.tracker.peers(made.created.infoHash).some((p) => p.port === seed.listenPort && p.complete), {
        timeout: 15_000,
      })
      .toBe(true)
    const save = join(swarm.work, 'lt-leech')
    const leech = swarm.own(await startLibtorrent({ torrent: torrentPath, save, name: 'libtorrent leech' }))
    await leech.waitFinished(90_000)
    expect(await diffTrees(t.contentPath, join(save, t.name))).toEqual([])
    expect(Number(leech.status()?.totalDownload ?? 0)).toBeGreaterThanOrEqual(t.totalSize)
  })

  it('a single file: libtorrent and `tidepool create` give the same info-hash (automatic and fixed piece size, private)', async () => {
    const t = await makeTorrent({ dir: join(swarm.work, 'single'), name: 'film.mkv', size: 6 * 1024 * 1024 + 5 })
    const cases: Array<{ pieceSize?: number; private?: boolean; trackers?: string[][] }> = [
      {},
      { pieceSize: 64 * 1024 },
      { pieceSize: 16 * 1024, private: true, trackers: [[swarm.tracker.httpUrl], [swarm.tracker.udpUrl]] },
    ]
    for (const [i, c] of cases.entries()) {
      const lt = libtorrentCreate(t.contentPath, join(swarm.work, `lt-${i}.torrent`), c)
      const ours = await tidepoolCreate(t.contentPath, {
        out: join(swarm.work, `tp-${i}.torrent`),
        ...(c.pieceSize ? { pieceSize: c.pieceSize } : {}),
        private: c.private,
        trackers: c.trackers,
      })
      expect(ours.created.pieceLength, `case ${i}`).toBe(lt.pieceLength)
      expect(ours.created.infoHash, `case ${i}`).toBe(lt.infoHash)
    }
    // 6 MiB: libtorrent's automatic choice is 32 KiB, and so is ours
    expect(libtorrentCreate(t.contentPath, join(swarm.work, 'auto.torrent')).pieceLength).toBe(32 * 1024)
  })

  it('a folder with several files and subfolders: the same info-hash as libtorrent for files added in sorted order', async () => {
    const dir = join(swarm.work, 'folder')
    const t = await makeTorrent({
      dir,
      name: 'collection',
      files: awkwardFiles(16 * 1024).concat([
        { path: ['.hidden', 'dot file'], size: 100 },
        { path: ['B upper.bin'], size: 70_000 },
        { path: ['b lower.bin'], size: 50_001 },
        { path: ['sub', 'deeper', 'x.bin'], size: 1_000_000 },
      ]),
      pieceLength: 16 * 1024,
    })
    await mkdir(join(t.contentPath, 'empty folder'), { recursive: true })
    await writeFile(join(t.contentPath, 'sub', 'zero.bin'), '')
    for (const pieceSize of [undefined, 16 * 1024, 256 * 1024]) {
      const lt = libtorrentCreate(t.contentPath, join(swarm.work, `lt-${pieceSize}.torrent`), {
        pieceSize,
        sortedWalk: true,
      })
      const ours = await tidepoolCreate(t.contentPath, {
        out: join(swarm.work, `tp-${pieceSize}.torrent`),
        ...(pieceSize ? { pieceSize } : {}),
      })
      expect(ours.created.pieceLength, `piece size ${pieceSize ?? 'auto'}`).toBe(lt.pieceLength)
      expect(ours.created.infoHash, `piece size ${pieceSize ?? 'auto'}`).toBe(lt.infoHash)
      expect(lt.files.length).toBe(t.files.length + 1) // the empty file is listed, the empty folder not
    }
  })

  it('a folder of 2,000 small files (pieces of hundreds of files, read through the real daemon): the same info-hash', async () => {
    const files = Array.from({ length: 2000 }, (_, i) => ({ path: [`d${i % 7}`, `f${i}.txt`], size: 5 + (i % 40) }))
    const t = await makeTorrent({ dir: join(swarm.work, 'small'), name: 'small files', files, pieceLength: 16 * 1024 })
    const lt = libtorrentCreate(t.contentPath, join(swarm.work, 'lt-small.torrent'), { sortedWalk: true })
    const ours = await tidepoolCreate(t.contentPath, { out: join(swarm.work, 'tp-small.torrent') })
    expect(ours.created.infoHash).toBe(lt.infoHash)
  })
})
