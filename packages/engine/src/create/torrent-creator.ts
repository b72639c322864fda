import type { CreateJobStatus, CreateTorrentInput, FolderEntry } from '../api/create-types.ts'
import type { AddTorrentInput } from '../api/types.ts'
import { webCryptoHasher } from '../platform/piece-hashers.ts'
import type { Platform } from '../platform/ports.ts'
import { resumeKey } from '../storage/resume-state.ts'
import { CreateCancelled } from './hash-pieces.ts'
import { createTorrentFromFiles, type CreatedTorrent, type CreateTorrentRequest } from './create-torrent-files.ts'
import type { HashPiecesOptions } from './hash-pieces.ts'
import { createdResume, seedableInPlace, seedFolderOf } from './created-resume.ts'

/** What the creator needs of its engine. */
export interface CreatorHost {
  readonly platform: Platform
  now(): number
  add(input: AddTorrentInput): Promise<unknown>
  /** Whether a torrent with this info-hash is listed already. */
  has(infoHash: string): boolean
  /** `created by` written into new torrents. */
  readonly createdBy: string
}

/** Finished jobs kept for their status (the UI polls); older ones are forgotten. */
const KEEP_FINISHED = 8

interface Job {
  status: CreateJobStatus
  abort: AbortController
}

/**
 * Creates torrents from data under the engine's roots, hashing with the engine's PieceHasher (its
 * hash workers), and seeds them in place. The UI drives jobs by id and polls their status; the CLI
 * calls `create` directly with a progress callback.
 */
export class TorrentCreator {
  private readonly jobs = new Map<number, Job>()
  private nextId = 1

  constructor(private readonly host: CreatorHost) {}

  /** Creates one torrent and returns it; `opts.onProgress` hears every hashed piece. */
  create(req: CreateTorrentRequest, opts: HashPiecesOptions = {}): Promise<CreatedTorrent> {
    const p = this.host.platform
    return createTorrentFromFiles(p.files, p.hasher ?? webCryptoHasher, req, opts)
  }

  /**
   * Adds a just-created torrent with its data in place: fast-resume state saying every piece is
   * there is written first, so the storage only compares sizes and mtimes instead of re-hashing.
   */
  async seed(created: CreatedTorrent, root: string, path: string): Promise<void> {
    if (!seedableInPlace(path))
      throw new Error('a download folder itself cannot be seeded in place: pick a file or folder inside it')
    // a torrent listed already keeps its own data and resume state: never tell it it has everything
    if (this.host.has(created.infoHash)) throw new Error('this torrent is in the list already')
    await this.host.platform.state.set(resumeKey(created.infoHash), createdResume(created, this.host.now()))
    const saveDir = seedFolderOf(path)
    await this.host.add({ torrentFile: created.torrentFile, savePath: root, ...(saveDir ? { saveDir } : {}) })
  }

  /** Starts a job; its status says how far it got. */
  start(input: CreateTorrentInput): number {
    const id = this.nextId++
    const job: Job = {
      status: { id, state: 'hashing', hashedBytes: 0, totalBytes: 0, piecesDone: 0, pieceCount: 0 },
      abort: new AbortController(),
    }
    this.jobs.set(id, job)
    void this.run(job, input)
    return id
  }

  status(id: number): CreateJobStatus | null {
    const s = this.jobs.get(id)?.status
    return s ? { ...s } : null
  }

  cancel(id: number): void {
    this.jobs.get(id)?.abort.abort()
  }

  /** Entries of a folder under a root, for picking what to share. */
  async browse(root: string, path: string): Promise<FolderEntry[]> {
    const entries = await this.host.platform.files.list(root, path)
    return entries.map((e) => ({ name: e.name, isDirectory: e.isDirectory, size: e.size }))
  }

  private async run(job: Job, input: CreateTorrentInput): Promise<void> {
    const s = job.status
    try {
      const created = await this.create(
        { ...input, createdBy: this.host.createdBy, creationDate: Math.floor(this.host.now() / 1000) },
        {
          signal: job.abort.signal,
          onProgress: (p) => Object.assign(s, p),
        },
      )
      let seeding = false
      let seedError: string | undefined
      if (input.seed) {
        try {
          await this.seed(created, input.root, input.path)
          seeding = true
        } catch (e) {
          seedError = (e as Error).message
        }
      }
      s.result = {
        torrentFile: created.torrentFile,
        infoHash: created.infoHash,
        name: created.name,
        pieceLength: created.pieceLength,
        totalBytes: created.totalBytes,
        seeding,
        ...(seedError ? { seedError } : {}),
      }
      s.state = 'done'
    } catch (e) {
      if (e instanceof CreateCancelled) s.state = 'cancelled'
      else {
        s.state = 'error'
        s.error = (e as Error).message
      }
    }
    this.forgetOld()
  }

  private forgetOld(): void {
    const finished = [...this.jobs.values()].filter((j) => j.status.state !== 'hashing')
    for (const j of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) this.jobs.delete(j.status.id)
  }
}
