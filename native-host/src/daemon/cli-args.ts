import type { DaemonLimits } from '@tidepool/daemon-bridge'

export interface DaemonCliArgs {
  port: number
  tokenFile: string
  roots: Record<string, string>
  allowOrigins: string[]
  allowNoOrigin: boolean
  parentPid?: number
  limits: Partial<DaemonLimits>
  /** false: no udp-multicast capability (`--no-multicast`); undefined: the daemon's default. */
  multicast?: boolean
  /** --no-port-mapping: never announce or do port mapping. */
  noPortMapping: boolean
  /** --grants-file FILE: roots granted while the daemon runs (the `roots` of config.json). */
  grantsFile?: string
}

const USAGE =
  'usage: daemon --port N --token-file FILE --root NAME=DIR [--root ...] [--allow-origin ORIGIN ...] [--deny-no-origin] [--no-multicast]\n' +
  '              [--parent-pid PID] [--max-connects-in-flight 30] [--max-connects-pending 60] [--connect-timeout-ms 10000] [--recv-window-bytes 4194304]\n' +
  '              [--max-data-frame-bytes 262144] [--no-port-mapping] [--grants-file FILE]'

/** Parses the daemon's command line; throws Error(usage) on anything wrong. */
export function parseDaemonArgs(argv: string[], opts: { tokenFileRequired?: boolean } = {}): DaemonCliArgs {
  const out: DaemonCliArgs = {
    port: 0,
    tokenFile: '',
    roots: {},
    allowOrigins: [],
    allowNoOrigin: true,
    limits: {},
    noPortMapping: false,
  }
  const int = (v: string | undefined, name: string): number => {
    const n = Number(v)
    if (v === undefined || !Number.isInteger(n) || n < 0)
      throw new Error(`${name} needs a non-negative integer\n${USAGE}`)
    return n
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const next = (): string => {
      const v = argv[++i]
      if (v === undefined) throw new Error(`${a} needs a value\n${USAGE}`)
      return v
    }
    switch (a) {
      case '--port':
        out.port = int(next(), a)
        break
      case '--token-file':
        out.tokenFile = next()
        break
      case '--root': {
        const v = next()
        const eq = v.indexOf('=')
        if (eq <= 0 || eq === v.length - 1) throw new Error(`--root needs NAME=DIR\n${USAGE}`)
        out.roots[v.slice(0, eq)] = v.slice(eq + 1)
        break
      }
      case '--allow-origin':
        out.allowOrigins.push(next())
        break
      case '--deny-no-origin':
        out.allowNoOrigin = false
        break
      case '--no-multicast':
        out.multicast = false
        break
      case '--grants-file':
        out.grantsFile = next()
        break
      case '--no-port-mapping':
        out.noPortMapping = true
        break
      case '--parent-pid':
        out.parentPid = int(next(), a)
        break
      case '--max-connects-in-flight':
        out.limits.maxConnectsInFlight = int(next(), a)
        break
      case '--max-connects-pending':
        out.limits.maxConnectsPending = int(next(), a)
        break
      case '--recv-window-bytes':
        out.limits.recvWindowBytes = int(next(), a)
        break
      case '--max-data-frame-bytes':
        out.limits.maxDataFrameBytes = int(next(), a)
        break
      case '--connect-timeout-ms':
        out.limits.connectTimeoutMs = int(next(), a)
        break
      case '--':
        break
      default:
        throw new Error(`unknown argument ${a}\n${USAGE}`)
    }
  }
  if (!out.tokenFile && opts.tokenFileRequired !== false) throw new Error(`--token-file is required\n${USAGE}`)
  return out
}
