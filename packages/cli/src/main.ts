import { parseArgs, UsageError, USAGE } from './args.ts'
import { createCommand } from './create-command.ts'
import { downloadCommand } from './download-command.ts'
import { reportCpuUsage, startCpuProfile } from './cpu-profile.ts'
import { CliError, EXIT } from './errors.ts'
import { seedCommand } from './seed-command.ts'
import { streamCommand } from './stream-command.ts'

/** `tidepool` entry point: every failure ends with one clear line on stderr and a non-zero exit. */
async function main(argv: string[]): Promise<number> {
  const abort = new AbortController()
  const onSignal = () => abort.abort()
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  const out = (s: string) => void process.stdout.write(s)
  const err = (s: string) => void process.stderr.write(s)
  try {
    const args = parseArgs(argv)
    if (args.command === 'help') {
      out(`${USAGE}\n`)
      return EXIT.ok
    }
    if (args.command === 'stream') return await streamCommand(args, { out, err, signal: abort.signal })
    const tty = !!process.stdout.isTTY && !args.json
    if (args.command === 'download') return await downloadCommand(args, { out, err, tty, signal: abort.signal })
    if (args.command === 'create')
      return await createCommand(args, { out, err, tty: !!process.stderr.isTTY && !args.json, signal: abort.signal })
    return await seedCommand(args, { out, err, tty, signal: abort.signal })
  } catch (e) {
    if (e instanceof UsageError) {
      err(`tidepool: ${e.message}\n${USAGE}\n`)
      return EXIT.usage
    }
    if (e instanceof CliError) {
      err(`tidepool: ${e.message}\n`)
      return e.exitCode
    }
    err(`tidepool: failed: ${(e as Error)?.stack ?? String(e)}\n`)
    return EXIT.failed
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

const stopProfile = startCpuProfile(process.env.TIDEPOOL_CPU_PROFILE)
main(process.argv.slice(2)).then(
  async (code) => {
    // a profile that cannot be written must not change the exit code of the command it profiled
    await stopProfile().catch((e: unknown) =>
      process.stderr.write(`tidepool: writing the CPU profile failed: ${String(e)}\n`),
    )
    reportCpuUsage(process.env.TIDEPOOL_CPU_USAGE)
    // Let stdout drain, then exit even if a stray handle (socket, timer) is still open.
    process.stdout.write('', () => process.exit(code))
  },
  (e) => {
    process.stderr.write(`tidepool: failed: ${String(e)}\n`)
    process.exit(EXIT.failed)
  },
)
