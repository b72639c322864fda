/** `pnpm --silent daemon ...`: runs the socket/file daemon; first stdout line is {"port":...}. */
import { parseDaemonArgs } from '../daemon/cli-args.ts'
import { loadOrCreateToken, portMappingAllowed, startDaemon } from '../index.ts'
import { runCompanion } from './companion.ts'

async function main(): Promise<void> {
  if (process.argv.includes('--companion')) return runCompanion(process.argv.slice(2))
  let args: ReturnType<typeof parseDaemonArgs>
  try {
    args = parseDaemonArgs(process.argv.slice(2))
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`)
    process.exit(2)
  }
  const token = await loadOrCreateToken(args.tokenFile)
  const d = await startDaemon({
    port: args.port,
    token,
    roots: args.roots,
    allowOrigins: args.allowOrigins,
    allowNoOrigin: args.allowNoOrigin,
    limits: args.limits,
    multicast: args.multicast,
    grantsFile: args.grantsFile,
    // The product's daemon maps its clients' listen ports unless told not to (or run under the test suites).
    portMapping: !args.noPortMapping && portMappingAllowed(),
  })
  process.stdout.write(
    `${JSON.stringify({
      port: d.port,
      url: d.url,
      pid: process.pid,
      protocol: 1,
      limits: d.limits,
      roots: Object.keys(args.roots),
    })}\n`,
  )
  const stop = (): void => {
    void d.close().finally(() => process.exit(0))
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
  if (args.parentPid !== undefined) {
    const pid = args.parentPid
    setInterval(() => {
      try {
        process.kill(pid, 0)
      } catch (e) {
        if ((e as { code?: string }).code === 'ESRCH') stop()
      }
    }, 1000).unref()
  }
}

main().catch((e) => {
  process.stderr.write(`daemon: ${(e as Error).message}\n`)
  process.exit(1)
})
