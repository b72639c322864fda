/**
 * `pnpm --silent conformance --url ws://127.0.0.1:PORT --token-file FILE [--origin ORIGIN] [--only ID-PREFIX ...]`
 * Runs the daemon protocol conformance cases against a running daemon; exit code 1 on any failure.
 */
import { readFile } from 'node:fs/promises'
import { runConformance } from './run-conformance.ts'

function parse(argv: string[]): { url: string; tokenFile: string; origin?: string; only: string[] } {
  const out = { url: '', tokenFile: '', origin: undefined as string | undefined, only: [] as string[] }
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
  if (!out.url || !out.tokenFile)
    throw new Error(
      'usage: conformance --url ws://127.0.0.1:PORT --token-file FILE [--origin ORIGIN] [--only ID-PREFIX]',
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
  const token = (await readFile(args.tokenFile, 'utf8')).trim()
  const report = await runConformance(
    { url: args.url, token, origin: args.origin },
    {
      only: args.only,
      onResult: (r) =>
        process.stdout.write(
          `${r.ok ? 'PASS' : 'FAIL'} ${r.id} ${r.title} (${r.ms} ms)${r.error ? `\n     ${r.error}` : ''}\n`,
        ),
    },
  )
  process.stdout.write(`${report.passed} passed, ${report.failed} failed\n`)
  process.exit(report.failed === 0 ? 0 : 1)
}

main().catch((e) => {
  process.stderr.write(`conformance: ${(e as Error).message}\n`)
  process.exit(2)
})
