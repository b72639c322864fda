import { homedir, networkInterfaces } from 'node:os'
import { join } from 'node:path'
import { defaultCompanionDir } from './companion-state.ts'

export interface CompanionArgs {
  /** LAN address to bind. */
  host: string
  port: number
  stateDir: string
  /** How clients list this companion; default the host name. */
  name?: string
  listPaired: boolean
  revoke?: string
  /** Minutes the printed code stays valid; 0 opens no pairing window. */
  pairingMinutes: number
  /** The rest: ordinary daemon arguments (--root, --allow-origin, limits). */
  rest: string[]
}

export const COMPANION_USAGE =
  'usage: daemon --companion [--listen ADDR:PORT] [--state-dir DIR] [--name NAME] [--pairing-minutes 5 | --no-pairing]\n' +
  '                          [--root NAME=DIR ...] [--allow-origin ORIGIN ...] [daemon limits]\n' +
  '       daemon --companion --list-paired [--state-dir DIR]\n' +
  '       daemon --companion --revoke NAME [--state-dir DIR]'

/** Default download folder of a companion started without --root. */
export const DEFAULT_COMPANION_DOWNLOADS = join(homedir(), 'Downloads', 'Tidepool')

/** Takes the companion flags out of a daemon command line (which contains --companion). */
export function parseCompanionArgs(argv: string[]): CompanionArgs {
  const out: CompanionArgs = {
    host: '',
    port: 8742,
    stateDir: defaultCompanionDir(),
    listPaired: false,
    pairingMinutes: 5,
    rest: [],
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    const next = (): string => {
      const v = argv[++i]
      if (v === undefined) throw new Error(`${a} needs a value\n${COMPANION_USAGE}`)
      return v
    }
    switch (a) {
      case '--companion':
        break
      case '--listen': {
        const v = next()
        const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(v)
        const port = m ? Number(m[3]) : Number.NaN
        if (!m || port > 65535) throw new Error(`--listen needs ADDR:PORT (IPv6 as [ADDR]:PORT)\n${COMPANION_USAGE}`)
        out.host = (m[1] ?? m[2])!
        out.port = port
        break
      }
      case '--state-dir':
        out.stateDir = next()
        break
      case '--name':
        out.name = next()
        break
      case '--list-paired':
        out.listPaired = true
        break
      case '--revoke':
        out.revoke = next()
        break
      case '--no-pairing':
        out.pairingMinutes = 0
        break
      case '--pairing-minutes': {
        const n = Number(next())
        if (!Number.isFinite(n) || n < 0 || n > 60) throw new Error(`--pairing-minutes takes 0..60\n${COMPANION_USAGE}`)
        out.pairingMinutes = n
        break
      }
      default:
        out.rest.push(a)
    }
  }
  // A concrete address, not 0.0.0.0: clients must name it in their Host header (DNS rebinding check).
  if (!out.host) out.host = firstLanAddress() ?? '127.0.0.1'
  return out
}

/** The first non-internal IPv4 address: the one a phone on the same Wi-Fi reaches. */
function firstLanAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address
  return undefined
}
