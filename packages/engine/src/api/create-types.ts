/** The torrent-creation part of the UI-facing API (structured-clone-able data only). */

export interface CreateTorrentInput {
  /** A download folder the helper serves (a FilePort root). */
  root: string
  /** The file or folder inside it, '/'-separated. */
  path: string
  /** Bytes per piece (a power of two, 16 KiB to 16 MiB); absent or 0 = automatic. */
  pieceLength?: number
  /** BEP 12 tiers, in order. */
  trackers?: string[][]
  webSeeds?: string[]
  private?: boolean
  comment?: string
  /** Add the new torrent and seed it from the data in place once created. */
  seed?: boolean
}

export type CreateJobState = 'hashing' | 'done' | 'error' | 'cancelled'

export interface CreateJobStatus {
  id: number
  state: CreateJobState
  hashedBytes: number
  /** 0 until the files have been walked. */
  totalBytes: number
  piecesDone: number
  pieceCount: number
  /** Once `done`. */
  result?: {
    torrentFile: Uint8Array
    infoHash: string
    name: string
    pieceLength: number
    totalBytes: number
    /** Whether it was added and is seeding (asked for and possible). */
    seeding: boolean
    /** Why it is not seeding although asked. */
    seedError?: string
  }
  /** Once `error`. */
  error?: string
}

/** One entry of a folder listing, for picking what to share. */
export interface FolderEntry {
  name: string
  isDirectory: boolean
  size: number
}
