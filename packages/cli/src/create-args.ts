/** Command-line parsing for `tidepool create`: its own flags, strict like the others'. */
import { isValidPieceLength, parsePieceLength } from '@tidepool/engine'

export interface CreateArgs {
  command: 'create'
  path: string
  output: string
  /** Tiers in order: each `--tracker` is a tier; commas inside one give several URLs in that tier. */
  trackers: string[][]
  /** Bytes, or null for automatic (as libtorrent chooses). */
  pieceLength: number | null
  private: boolean
  webSeeds: string[]
  comment: string | null
  /** Leave `creation date` out, so the same data always gives the same file. */
  noDate: boolean
  json: boolean
}

export const CREATE_USAGE = `  tidepool create <file-or-folder> -o FILE [--tracker URL[,URL...]]... [--piece-size N] [--private]
                  [--web-seed URL]... [--comment TEXT] [--no-date] [--json]
  --tracker: each one is a tier (tried in order); commas put several URLs in one tier
  --piece-size: bytes or with a unit (256K, 4M), a power of two from 16K to 16M; default automatic
  --no-date leaves the creation date out (the same data then always gives the same .torrent)`

/** Parses the words after `create`; `usageError` builds the error main prints with the usage. */
export function parseCreateArgs(rest: string[], usageError: (msg: string) => Error): CreateArgs {
  const positional: string[] = []
  const trackers: string[][] = []
  const webSeeds: string[] = []
  const out: Partial<CreateArgs> = { private: false, noDate: false, json: false, comment: null }
  let output: string | undefined
  let pieceLength: number | null = null
  const value = (name: string, eq: string | undefined, i: number): [string, number] => {
    if (eq !== undefined) return [eq, i]
    const v = rest[i + 1]
    if (v === undefined) throw usageError(`${name} needs a value`)
    return [v, i + 1]
  }
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg)
      continue
    }
    const eqAt = arg.indexOf('=')
    const name = eqAt > 0 ? arg.slice(0, eqAt) : arg
    const eq = eqAt > 0 ? arg.slice(eqAt + 1) : undefined
    let v: string
    switch (name) {
      case '-o':
      case '--output':
        ;[output, i] = value(name, eq, i)
        break
      case '--tracker': {
        ;[v, i] = value(name, eq, i)
        const tier = v
          .split(',')
          .map((u) => u.trim())
          .filter((u) => u !== '')
        if (tier.length === 0) throw usageError('--tracker needs a URL')
        trackers.push(tier)
        break
      }
      case '--web-seed':
        ;[v, i] = value(name, eq, i)
        webSeeds.push(v)
        break
      case '--piece-size': {
        ;[v, i] = value(name, eq, i)
        const n = parsePieceLength(v)
        if (n === null || !isValidPieceLength(n))
          throw usageError(`bad --piece-size "${v}" (a power of two from 16K to 16M, e.g. 256K or 4M)`)
        pieceLength = n
        break
      }
      case '--comment':
        ;[v, i] = value(name, eq, i)
        out.comment = v
        break
      case '--private':
        out.private = true
        break
      case '--no-date':
        out.noDate = true
        break
      case '--json':
        out.json = true
        break
      default:
        throw usageError(`unknown option ${name}`)
    }
  }
  if (positional.length !== 1) throw usageError('create takes exactly one file or folder')
  if (!output) throw usageError('create needs -o FILE (where to write the .torrent)')
  return {
    command: 'create',
    path: positional[0]!,
    output,
    trackers,
    pieceLength,
    private: out.private!,
    webSeeds,
    comment: out.comment!,
    noDate: out.noDate!,
    json: out.json!,
  }
}
