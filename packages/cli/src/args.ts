/** Command-line parsing for `tidepool`: small and strict so a typo is an error, not a surprise. */
import { LOG_COMPONENTS, parseHostPort, type EncryptionPolicy } from '@tidepool/engine'
import { CREATE_USAGE, parseCreateArgs, type CreateArgs } from './create-args.ts'

/** Which components' log lines go to stderr: null = none, 'all' = every one. */
export type DebugSelection = readonly string[] | 'all' | null

/**
 * The DHT as the command line asks for it: `--no-dht` → off; `--dht-bootstrap LIST` → on, joining
 * through LIST only; neither → null (the default: on with the public routers, unless TIDEPOOL_DHT=off).
 */
export type DhtChoice = { enabled: false } | { enabled: true; bootstrap: string[] } | null

export interface DownloadArgs {
  command: 'download'
  inputs: string[]
  out: string
  json: boolean
  timeoutSec: number | null
  seed: boolean
  port: number
  daemonUrl: string | null
  tokenFile: string | null
  stateDir: string | null
  debug: DebugSelection
  /** Local peer discovery (BEP 14); off with --no-lsd. */
  lsd: boolean
  /** Ask the router to forward the listen port (off with --no-port-mapping). */
  portMapping: boolean
  encryption: EncryptionPolicy
  dht: DhtChoice
  /** Download from the torrents' web seeds (BEP 19/17); off with --no-web-seeds. */
  webSeeds: boolean
  /** uTP beside TCP (off with --no-utp). */
  utp: boolean
  /** New pieces in order instead of rarest first (--sequential). */
  sequential: boolean
}

export interface SeedArgs {
  command: 'seed'
  torrent: string
  data: string
  json: boolean
  port: number
  daemonUrl: string | null
  tokenFile: string | null
  stateDir: string | null
  debug: DebugSelection
  /** Local peer discovery (BEP 14); off with --no-lsd. */
  lsd: boolean
  portMapping: boolean
  encryption: EncryptionPolicy
  dht: DhtChoice
  /** uTP beside TCP (off with --no-utp). */
  utp: boolean
}

/** `tidepool stream`: download one torrent and serve one of its files to players while it downloads. */
export interface StreamArgs extends Omit<DownloadArgs, 'command' | 'inputs' | 'timeoutSec' | 'seed' | 'json'> {
  command: 'stream'
  input: string
  /** File index; null = the largest file. */
  file: number | null
  /** Loopback port the stream URL is served on (0 = any). Peers use any free port. */
  streamPort: number
}

export type CliArgs = DownloadArgs | SeedArgs | CreateArgs | StreamArgs | { command: 'help' }

export class UsageError extends Error {}

export const USAGE = `usage:
  tidepool download <torrent-file|magnet> [more...] --out DIR [--json] [--timeout SECONDS] [--seed]
                    [--port PORT] [--no-lsd] [--no-port-mapping] [--daemon-url URL --token-file FILE] [--state DIR]
                    [--debug [COMPONENT,...]] [--encryption prefer|require|disable]
                    [--no-dht | --dht-bootstrap HOST:PORT[,HOST:PORT...]] [--no-web-seeds] [--no-utp]
  tidepool seed <torrent-file> --data DIR [--port PORT] [--no-lsd] [--no-port-mapping] [--json]
                [--daemon-url URL --token-file FILE] [--state DIR] [--debug [COMPONENT,...]]
                [--encryption prefer|require|disable] [--no-dht | --dht-bootstrap HOST:PORT[,HOST:PORT...]] [--no-utp]
  tidepool stream <torrent-file|magnet> [--file N] [--port P] [--out DIR] [--sequential] [--no-lsd]
                  [--no-port-mapping] [--state DIR] [--debug [COMPONENT,...]] [--encryption ...] [--no-dht | --dht-bootstrap ...]
${CREATE_USAGE}
  --sequential (download) fetches pieces in order instead of rarest first
  stream prints a local URL (http://127.0.0.1:P/stream/...) for a player such as VLC or mpv and serves
         the file (--file N, default the largest) while it downloads, until interrupted; --out defaults to .
  --port serves peers over TCP and the DHT over UDP on the same port (0 = any free port)
  --no-lsd turns off local peer discovery (multicast announces on the LAN; never for private torrents)
  --no-port-mapping: do not ask the router (UPnP IGD, NAT-PMP, PCP) to forward the listen port
  --debug writes log lines to stderr: every component, or only those named (${LOG_COMPONENTS.join(', ')})
  --encryption (MSE/PE) prefer: encrypted handshake first, plain for peers that refuse it (default);
               require: RC4-encrypted peers only, both ways; disable: plain peers only
  --no-utp: TCP only (by default uTP is accepted on the listen port too, used for peers that announce it,
            and tried for a peer that TCP cannot reach)
  --no-dht turns the DHT off; --dht-bootstrap joins it through the given nodes instead of the public routers
  --out with --daemon-url must be inside a folder that daemon serves (granted: pnpm native-host grant NAME DIR);
        the data goes into that folder's root, in the subfolder --out names
  --no-web-seeds: do not download from the HTTP(S) servers a torrent or magnet names (url-list, ws=, httpseeds)`

const VALUE_FLAGS = new Set([
  '--out',
  '--timeout',
  '--port',
  '--daemon-url',
  '--token-file',
  '--state',
  '--data',
  '--encryption',
  '--dht-bootstrap',
  '--file',
])
const BOOL_FLAGS = new Set([
  '--json',
  '--seed',
  '--no-lsd',
  '--no-port-mapping',
  '--no-dht',
  '--no-web-seeds',
  '--no-utp',
  '--sequential',
])

export function parseArgs(argv: string[]): CliArgs {
  const [command, ...rest] = argv
  if (!command || command === 'help' || command === '--help' || command === '-h') return { command: 'help' }
  if (command === 'create') return parseCreateArgs(rest, (m) => new UsageError(m))
  if (command !== 'download' && command !== 'seed' && command !== 'stream')
    throw new UsageError(`unknown command "${command}"`)
  const positional: string[] = []
  const values = new Map<string, string>()
  const bools = new Set<string>()
  let debug: DebugSelection = null
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=')
      const name = eq > 0 ? arg.slice(0, eq) : arg
      if (name === '--debug') {
        // the list is optional: `--debug` alone is every component; a following word is taken as
        // the list only when it names components, so `--debug a.torrent` still downloads a.torrent
        if (eq > 0) debug = parseComponents(arg.slice(eq + 1))
        else if (rest[i + 1] !== undefined && isComponentList(rest[i + 1])) debug = parseComponents(rest[++i])
        else debug = 'all'
      } else if (BOOL_FLAGS.has(name)) {
        bools.add(name)
      } else if (VALUE_FLAGS.has(name)) {
        const value = eq > 0 ? arg.slice(eq + 1) : rest[++i]
        if (value === undefined) throw new UsageError(`${name} needs a value`)
        values.set(name, value)
      } else {
        throw new UsageError(`unknown option ${name}`)
      }
    } else {
      positional.push(arg)
    }
  }
  const port = parsePort(values.get('--port'))
  const daemonUrl = values.get('--daemon-url') ?? null
  const tokenFile = values.get('--token-file') ?? null
  if (daemonUrl && !tokenFile) throw new UsageError('--daemon-url needs --token-file')
  const stateDir = values.get('--state') ?? null
  const encryption = parseEncryption(values.get('--encryption'))
  const dht = parseDht(bools.has('--no-dht'), values.get('--dht-bootstrap'))
  if (command === 'download') {
    if (positional.length === 0) throw new UsageError('download needs at least one torrent file or magnet link')
    const out = values.get('--out')
    if (!out) throw new UsageError('download needs --out DIR')
    const t = values.get('--timeout')
    let timeoutSec: number | null = null
    if (t !== undefined) {
      timeoutSec = Number(t)
      if (!Number.isFinite(timeoutSec) || timeoutSec <= 0) throw new UsageError(`bad --timeout "${t}"`)
    }
    return {
      command,
      inputs: positional,
      out,
      json: bools.has('--json'),
      timeoutSec,
      seed: bools.has('--seed'),
      port,
      daemonUrl,
      tokenFile,
      stateDir,
      debug,
      lsd: !bools.has('--no-lsd'),
      portMapping: !bools.has('--no-port-mapping'),
      encryption,
      dht,
      webSeeds: !bools.has('--no-web-seeds'),
      utp: !bools.has('--no-utp'),
      sequential: bools.has('--sequential'),
    }
  }
  if (command === 'stream') {
    if (positional.length !== 1) throw new UsageError('stream takes exactly one torrent file or magnet link')
    const f = values.get('--file')
    const file = f === undefined ? null : Number(f)
    if (file !== null && (!Number.isInteger(file) || file < 0)) throw new UsageError(`bad --file "${f}"`)
    return {
      command,
      input: positional[0],
      out: values.get('--out') ?? '.',
      file,
      streamPort: port,
      port: 0,
      daemonUrl,
      tokenFile,
      stateDir,
      debug,
      lsd: !bools.has('--no-lsd'),
      portMapping: !bools.has('--no-port-mapping'),
      encryption,
      dht,
      sequential: bools.has('--sequential'),
      webSeeds: !bools.has('--no-web-seeds'),
      utp: !bools.has('--no-utp'),
    }
  }
  if (positional.length !== 1) throw new UsageError('seed takes exactly one torrent file')
  const data = values.get('--data')
  if (!data) throw new UsageError('seed needs --data DIR')
  return {
    command,
    torrent: positional[0],
    data,
    json: bools.has('--json'),
    port,
    daemonUrl,
    tokenFile,
    stateDir,
    debug,
    lsd: !bools.has('--no-lsd'),
    portMapping: !bools.has('--no-port-mapping'),
    encryption,
    dht,
    utp: !bools.has('--no-utp'),
  }
}

const POLICIES: readonly EncryptionPolicy[] = ['prefer', 'require', 'disable']

function parseEncryption(v: string | undefined): EncryptionPolicy {
  if (v === undefined) return 'prefer'
  if (!POLICIES.includes(v as EncryptionPolicy))
    throw new UsageError(`bad --encryption "${v}" (prefer, require or disable)`)
  return v as EncryptionPolicy
}

function parseDht(off: boolean, list: string | undefined): DhtChoice {
  if (off && list !== undefined) throw new UsageError('--no-dht and --dht-bootstrap contradict each other')
  if (off) return { enabled: false }
  if (list === undefined) return null
  const nodes = list
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '')
  const bad = nodes.find((e) => parseHostPort(e) === null)
  if (nodes.length === 0 || bad !== undefined)
    throw new UsageError(`bad --dht-bootstrap "${bad ?? list}" (want HOST:PORT[,HOST:PORT...])`)
  return { enabled: true, bootstrap: nodes }
}

const COMPONENTS: ReadonlySet<string> = new Set(LOG_COMPONENTS)

function isComponentList(word: string): boolean {
  return word.split(',').every((c) => c === 'all' || COMPONENTS.has(c))
}

function parseComponents(list: string): DebugSelection {
  const names = list.split(',').filter((c) => c !== '')
  if (names.length === 0 || names.includes('all')) return 'all'
  const unknown = names.filter((c) => !COMPONENTS.has(c))
  if (unknown.length > 0)
    throw new UsageError(`unknown --debug component "${unknown[0]}" (known: ${LOG_COMPONENTS.join(', ')})`)
  return names
}

function parsePort(v: string | undefined): number {
  if (v === undefined) return 0
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`bad --port "${v}"`)
  return n
}
