/**
 * Keeps a data plane's idea of where a torrent's files are (DataPlaneTorrent.setFiles) in step with
 * a move that runs while the torrent does (RelocatingFiles). A data plane names one root per
 * torrent, and during a move across roots the files are split between two: a piece is checked (and
 * written) only while none of its files is moving, with the spec set to the root they are all in;
 * checks for the other root wait until the ones in flight are done. Uploads follow the latest spec
 * (a block of a file in the other root fails to read meanwhile and is rejected).
 */
import type { DataPlaneTorrent, DataPlaneTorrentSpec, Logger } from '../platform/ports.ts'
import { errorText } from '../util/log.ts'
import { segments } from './file-map.ts'
import type { RelocatingFiles } from './relocating-files.ts'
import type { TorrentStorage } from './torrent-storage.ts'

/** Files of a piece split between roots: tries again after this long, this many times at most. */
const SPLIT_RETRY_MS = 20
const SPLIT_RETRIES = 1500

export class RemotePlaces {
  private root: string
  private version: number
  /** Checks running with the spec at `root`. */
  private users = 0
  private waiters: Array<() => void> = []
  private readonly unwatch: (() => void) | null

  constructor(
    private readonly torrent: DataPlaneTorrent,
    private readonly storage: TorrentStorage,
    private readonly places: RelocatingFiles | null,
    private readonly log: Logger,
  ) {
    this.root = storage.root
    this.version = places?.version ?? 0
    this.unwatch = places?.watch(() => this.follow()) ?? null
  }

  /**
   * Runs `check` (the platform hashes and writes `piece`) with the spec naming where the piece's
   * files are now. Null when they stayed split between roots (a move failed half-way).
   */
  async around<T>(piece: number, check: () => Promise<T>): Promise<T | null> {
    const places = this.places
    if (!places || places.version === 0) return check()
    const layout = this.storage.layout
    const paths = [
      ...new Set(
        segments(layout, piece).flatMap((s) => (layout.files[s.file]!.padding ? [] : [this.storage.filePath(s.file)])),
      ),
    ]
    for (let attempt = 0; attempt < SPLIT_RETRIES; attempt++) {
      const r = await places.hold(this.storage.root, paths, async () => {
        const roots = new Set(paths.map((p) => places.where(this.storage.root, p).root))
        if (roots.size > 1) return null
        return { value: await this.withRoot([...roots][0] ?? this.root, check) }
      })
      if (r) return r.value
      // between two files of a move: the next one is about to start moving
      await new Promise((res) => setTimeout(res, SPLIT_RETRY_MS))
    }
    return null
  }

  close(): void {
    this.unwatch?.()
  }

  private async withRoot<T>(root: string, fn: () => Promise<T>): Promise<T> {
    for (let guard = 0; this.users > 0 && this.root !== root && guard < 100_000; guard++)
      await new Promise<void>((r) => this.waiters.push(r))
    this.users++
    try {
      await this.sync(root)
      return await fn()
    } finally {
      this.users--
      if (this.users === 0) for (const w of this.waiters.splice(0)) w()
    }
  }

  /** Sets the spec to `root` if it or the files' places changed since it was last set. */
  private async sync(root: string): Promise<void> {
    const version = this.places?.version ?? 0
    if (root === this.root && version === this.version) return
    this.root = root
    this.version = version
    await this.torrent.setFiles(this.spec(root))
  }

  /** A file moved: with no check running, the spec follows at once (uploads read the new place). */
  private follow(): void {
    if (this.users > 0 || !this.places) return
    // the root most files are in now
    const count = new Map<string, number>()
    for (let i = 0; i < this.storage.layout.files.length; i++) {
      const at = this.places.where(this.storage.root, this.storage.filePath(i)).root
      count.set(at, (count.get(at) ?? 0) + 1)
    }
    const root = [...count].sort((a, b) => b[1] - a[1])[0]?.[0] ?? this.root
    this.withRoot(root, async () => {}).catch((err: unknown) =>
      this.log.debug?.(`telling the data plane where the files are failed: ${errorText(err)}`),
    )
  }

  /** Every file under `root`: its current path where it is in that root, else where it would be. */
  private spec(root: string): DataPlaneTorrentSpec {
    const layout = this.storage.layout
    return {
      root,
      pieceLength: layout.pieceLength,
      files: layout.files.map((f, i) => ({
        path: this.places!.where(this.storage.root, this.storage.filePath(i)).path,
        length: f.length,
        ...(f.padding ? { padding: true } : {}),
      })),
    }
  }
}
