/**
 * `pnpm --silent conformance --url ws://127.0.0.1:PORT --token-file FILE [--origin ORIGIN] [--only ID-PREFIX ...]`
 * `pnpm --silent conformance --url ws://ADDR:PORT --secure PAIRED.json [--code CODE] ...`: over the secure
 * channel of a companion daemon; with --code it pairs first and keeps the keys in PAIRED.json.
 * Runs the daemon protocol conformance cases against a running daemon; exit code 1 on any failure.
 */
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { WebSocket } from 'ws'
import { nodeAead } from '../node/aead-node.ts'
import {
  type CompanionIdentity,
  newCompanionIdentity,
  openCompanionSocket,
  type PairedCompanion,
  pairWithCompanion,
} from '../secure/companion-client.ts'
import type { WebSocketCtor } from '../websocket-like.ts'
import type { ConformanceTarget } from './harness.ts'
import { runConformance } from './run-conformance.ts'

interface Args {
  url: string
  tokenFile: string
  origin?: string
  only: string[]
  secure?: string
  code?: string
}

function parse(argv: string[]): Args {
  const out: Args = { url: '', tokenFile: '', origin: undefined, only: [] }
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1]
    switch (argv[i]) {
      case '--url':
        out.url = v ?? ''
        i++
        break
      case '--token-file':
        out.tokenFile = v ?? ''
        i++
        break
      case '--origin':
        out.origin = v
        i++
        break
      case '--secure':
        out.secure = v
        i++
        break
      case '--code':
        out.code = v
        i++
        break
      case '--only':
        if (v) out.only.push(v)
        i++
        break
      case '--':
        break
      default:
        throw new Error(`unknown argument ${argv[i]}`)
    }
  }
  if (out.url && !/^wss?:\/\/[^/]+:\d+/.test(out.url)) throw new Error(`--url needs an explicit port: ${out.url}`)
  if (!out.url || (!out.tokenFile && !out.secure))
    throw new Error(
      'usage: conformance --url ws://127.0.0.1:PORT (--token-file FILE | --secure PAIRED.json [--code CODE]) [--origin ORIGIN] [--only ID-PREFIX]',
    )
  return out
}

async function main(): Promise<void> {
  let args: ReturnType<typeof parse>
  try {
    args = parse(process.argv.slice(2))
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`)
    process.exit(2)
  }
  const report = await runConformance(
    args.secure
      ? await secureTarget(args, args.secure)
      : { url: args.url, token: (await readFile(args.tokenFile, 'utf8')).trim(), origin: args.origin },
    {
      only: args.only,
      onResult: (r) =>
        process.stdout.write(
          `${r.ok ? 'PASS' : 'FAIL'} ${r.id} ${r.title} (${r.ms} ms)${r.error ? `\n     ${r.error}` : ''}\n`,
        ),
    },
  )
  process.stdout.write(`${report.passed} passed, ${report.failed} failed, ${report.skipped} skipped\n`)
  process.exit(report.failed === 0 ? 0 : 1)
}

const WS = WebSocket as unknown as WebSocketCtor

/** The secure transport: pairs with --code first (keys go to `file`), then every case connects with them. */
async function secureTarget(args: Args, file: string): Promise<ConformanceTarget> {
  let keys: { identity: CompanionIdentity; paired: PairedCompanion }
  if (args.code) {
    const identity = newCompanionIdentity()
    const paired = await pairWithCompanion({
      url: args.url,
      code: args.code,
      clientName: `conformance@${hostname()}`,
      identity,
      WebSocketImpl: WS,
    })
    keys = { identity, paired }
    await writeFile(file, `${JSON.stringify(keys)}\n`, { mode: 0o600 })
  } else if (existsSync(file)) keys = JSON.parse(await readFile(file, 'utf8'))
  else throw new Error(`${file} does not exist: pass --code to pair first`)
  const { identity, paired } = keys
  return {
    url: args.url,
    token: paired.token,
    origin: args.origin,
    secure: (origin) => openCompanionSocket({ paired, identity, origin, WebSocketImpl: WS, aead: nodeAead }),
  }
}

main().catch((e) => {
  process.stderr.write(`conformance: ${(e as Error).message}\n`)
  process.exit(2)
})
