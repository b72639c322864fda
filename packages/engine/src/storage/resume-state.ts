/**
 * Fast resume: the verified-piece bitfield, each file's size and mtime, and the file priorities,
 * saved through a StateStore. On load the bitfield is trusted only for pieces whose files are
 * unchanged (same size and mtime); pieces touching a changed file are rechecked.
 */
import type { FilePriority } from '../api/types.ts'
import type { FileStat, StateStore } from '../platform/ports.ts'
import { utf8Decode, utf8Encode } from '../util/bytes.ts'
import { segments } from './file-map.ts'
import { recheck } from './recheck.ts'
import type { RecheckOptions, RecheckResult } from './recheck.ts'
import type { TorrentStorage } from './torrent-storage.ts'

export interface ResumeFile {
  size: number
  mtimeMs: number
}

export interface ResumeState {
  version: 1
  pieceCount: number
  /** BEP 3 bitfield bytes of verified pieces. */
  have: Uint8Array
  /** Per file: size and mtime when saved, null when it did not exist (or is padding). */
  files: Array<ResumeFile | null>
  priorities: FilePriority[]
  savedAt: number
}

export interface ResumeLoad {
  /** 'none': no usable state, everything rechecked; 'trusted': all files unchanged; 'partial': some rechecked. */
  source: 'none' | 'trusted' | 'partial'
  trusted: number
  recheck: RecheckResult | null
}

const PRIORITIES: readonly FilePriority[] = ['skip', 'low', 'normal', 'high']

export function resumeKey(infoHashHex: string): string {
  return `resume/${infoHashHex.toLowerCase()}`
}

export function encodeResume(s: ResumeState): Uint8Array {
  let bin = ''
  for (const b of s.have) bin += String.fromCharCode(b)
  return utf8Encode(JSON.stringify({ ...s, have: btoa(bin) }))
}

/** Parses saved state; null when it is damaged or does not fit this torrent. */
export function decodeResume(bytes: Uint8Array, pieceCount: number, fileCount: number): ResumeState | null {
  try {
    const o = JSON.parse(utf8Decode(bytes)) as Record<string, unknown>
    if (o.version !== 1 || o.pieceCount !== pieceCount || typeof o.have !== 'string') return null
    const bin = atob(o.have)
    if (bin.length !== Math.ceil(pieceCount / 8)) return null
    const have = new Uint8Array(bin.length)
    for (let i = 0; i < bin.length; i++) have[i] = bin.charCodeAt(i)
    const files = o.files
    const prios = o.priorities
    if (!Array.isArray(files) || files.length !== fileCount || !Array.isArray(prios) || prios.length !== fileCount)
      return null
    for (const f of files) {
      if (f !== null && (typeof f?.size !== 'number' || typeof f?.mtimeMs !== 'number')) return null
    }
    if (!prios.every((p) => PRIORITIES.includes(p))) return null
    return { version: 1, pieceCount, have, files, priorities: prios, savedAt: Number(o.savedAt) || 0 }
  } catch {
    return null // unreadable resume state: the caller rechecks the data instead
  }
}

/**
 * Snapshot for saving. The bitfield is copied before the files are stat'ed: a piece is marked only
 * after its write finished, so every saved bit's data is older than the saved mtimes.
 */
export async function captureResume(storage: TorrentStorage, now: number): Promise<ResumeState> {
  const have = storage.have.bytes.slice()
  const stats = await storage.fileStats()
  return {
    version: 1,
    pieceCount: storage.layout.pieceCount,
    have,
    files: stats.map((s) => (s && !s.isDirectory ? { size: s.size, mtimeMs: s.mtimeMs } : null)),
    priorities: storage.filePriorities(),
    savedAt: now,
  }
}

export async function saveResume(storage: TorrentStorage, store: StateStore, key: string, now: number): Promise<void> {
  await store.set(key, encodeResume(await captureResume(storage, now)))
}

function sameFile(saved: ResumeFile | null, now: FileStat | null): boolean {
  if (!saved || !now || now.isDirectory) return !saved && (!now || now.isDirectory)
  return saved.size === now.size && saved.mtimeMs === now.mtimeMs
}

/**
 * Restores priorities and verified pieces. Pieces whose files all match the saved sizes and mtimes
 * take the saved bit; pieces touching a changed file (or all, without usable state) are rechecked.
 */
export async function loadResume(
  storage: TorrentStorage,
  store: StateStore,
  key: string,
  opts: Omit<RecheckOptions, 'pieces' | 'stats'> = {},
): Promise<ResumeLoad> {
  const raw = await store.get(key)
  const layout = storage.layout
  const state = raw && decodeResume(raw, layout.pieceCount, layout.files.length)
  if (!state) {
    const stats = await storage.fileStats()
    return { source: 'none', trusted: 0, recheck: await recheck(storage, { ...opts, stats }) }
  }
  await storage.setFilePriorities(state.priorities)
  const stats = await storage.fileStats()
  const changed = layout.files.map((f, i) => !f.padding && !sameFile(state.files[i] ?? null, stats[i] ?? null))
  const toCheck: number[] = []
  let trusted = 0
  for (let p = 0; p < layout.pieceCount; p++) {
    const touchesChanged = segments(layout, p).some((s) => changed[s.file])
    if (touchesChanged) toCheck.push(p)
    else if ((state.have[p >> 3]! & (0x80 >> (p & 7))) !== 0) {
      storage.have.set(p)
      trusted++
    }
  }
  if (toCheck.length === 0) return { source: 'trusted', trusted, recheck: null }
  return { source: 'partial', trusted, recheck: await recheck(storage, { ...opts, pieces: toCheck, stats }) }
}
