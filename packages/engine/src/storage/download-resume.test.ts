/**
 * Storage and picker together over the in-memory FilePort: a download with a corrupt peer,
 * interrupted midway (no final save), resumed from the periodic save: nothing verified is lost.
 */
import { describe, expect, it } from 'vitest'
import { PiecePicker } from '../picker/piece-picker.ts'
import { PieceBits } from '../picker/piece-bits.ts'
import { MemoryFilePort } from '../platform/memory-files.ts'
import { MemoryStateStore } from '../platform/memory-state.ts'
import { bytesEqual } from '../util/bytes.ts'
import { BLOCK_SIZE } from './file-map.ts'
import { loadResume, resumeKey, saveResume } from './resume-state.ts'
import { makeTorrent } from './test-layout.ts'
import type { TestTorrent } from './test-layout.ts'
import { TorrentStorage } from './torrent-storage.ts'

const PL = 4 * BLOCK_SIZE

/** Runs up to `maxPieces` verified pieces; 'evil' corrupts every block it sends. Returns banned peers. */
async function download(t: TestTorrent, s: TorrentStorage, pk: PiecePicker, maxPieces: number, banned: Set<string>) {
  const peers = ['good1', 'good2', 'evil'].filter((k) => !banned.has(k))
  const full = PieceBits.full(t.layout.pieceCount)
  for (const k of peers) pk.addSeed(k)
  let verified = 0
  for (let round = 0; round < 10_000 && verified < maxPieces && !pk.isComplete(); round++) {
    for (const k of peers) {
      if (banned.has(k)) continue
      for (const b of pk.pickBlocks(k, full, 2)) {
        pk.onBlockReceived(k, b.piece, b.begin)
        const data = t.piece(b.piece).slice(b.begin, b.begin + b.length)
        if (k === 'evil') data[0]! ^= 0xff
        const r = await s.writeBlock(b.piece, b.begin, data, k)
        if (r.status === 'verified') {
          pk.onPieceVerified(r.piece)
          verified++
        } else if (r.status === 'failed') {
          pk.onPieceFailed(r.piece)
          // ban the peer that sent bad data (the integrator's policy may be gentler)
          for (const c of r.contributors) if (c === 'evil') banned.add(c)
        }
      }
    }
    for (const k of banned) pk.removePeer(k)
  }
}

describe('download + interruption + resume', () => {
  it('loses at most the pieces in flight and finishes with exact files', async () => {
    const t = await makeTorrent(
      [
        ['t/a.bin', 5 * PL + 123],
        ['t/b/c.bin', 9 * PL],
      ],
      PL,
    )
    let clock = 0
    const fp = new MemoryFilePort({ now: () => ++clock }) // every write moves mtime on
    const store = new MemoryStateStore()
    const key = resumeKey('00'.repeat(20))
    const banned = new Set<string>()
    const s1 = new TorrentStorage(fp, t.layout, { root: 'downloads' })
    const pk1 = new PiecePicker({
      pieceCount: t.layout.pieceCount,
      pieceLength: PL,
      totalLength: t.layout.length,
      random: () => 0.5,
    })
    await s1.prepare()
    await download(t, s1, pk1, 6, banned)
    expect(banned.has('evil')).toBe(true)
    await saveResume(s1, store, key, 1)
    const verifiedAtSave = s1.have.count()
    await download(t, s1, pk1, 3, banned) // more progress after the last save, then a "crash": no final save
    const verifiedAtCrash = s1.have.count()
    expect(verifiedAtCrash).toBeGreaterThan(verifiedAtSave)

    const s2 = new TorrentStorage(fp, t.layout, { root: 'downloads' })
    const r = await loadResume(s2, store, key)
    expect(r.source).toBe('partial') // files changed after the save: those pieces were rechecked
    expect(s2.have.count()).toBe(verifiedAtCrash)
    const pk2 = new PiecePicker({ pieceCount: t.layout.pieceCount, pieceLength: PL, totalLength: t.layout.length })
    for (let p = 0; p < t.layout.pieceCount; p++) if (s2.have.has(p)) pk2.markHave(p)
    await download(t, s2, pk2, Infinity, banned)
    expect(s2.isComplete()).toBe(true)
    expect(bytesEqual(fp.peek('downloads', 't/a.bin')!, t.fileData(0))).toBe(true)
    expect(bytesEqual(fp.peek('downloads', 't/b/c.bin')!, t.fileData(1))).toBe(true)
  })
})
