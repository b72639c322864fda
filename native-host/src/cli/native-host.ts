/**
 * Chrome runs this (through the installed launcher) as the native-messaging host `com.tidepool.daemon`,
 * with the caller origin as the first argument. A person runs it as
 * `pnpm native-host install|uninstall [...]` to register it with Chrome or Chromium.
 */
import { install, parseInstallArgs, uninstall } from '../install/index.ts'
import { LAUNCH_LAYOUT } from '../launch-layout.ts'
import { runHost } from '../native-messaging/index.ts'
import { runGrantCommand } from './grant-command.ts'

const VERSION = LAUNCH_LAYOUT.version

async function main(): Promise<void> {
  const argv = process.argv.slice(2)
  if (argv[0] === 'grant' || argv[0] === 'revoke' || argv[0] === 'roots') {
    process.stdout.write(await runGrantCommand(argv))
    return
  }
  if (argv[0] === 'install' || argv[0] === 'uninstall') {
    const cmd = parseInstallArgs(argv)
    if (cmd.action === 'install') {
      const r = await install(cmd.options)
      process.stdout.write(
        `installed ${r.manifestPath}\n  launcher ${r.launcherPath}\n  allowed origin chrome-extension://${r.extensionId}/\n`,
      )
      if (r.configFile) process.stdout.write(`  config ${r.configFile}\n`)
    } else {
      const r = await uninstall(cmd.options)
      process.stdout.write(r.removed.length ? r.removed.map((p) => `removed ${p}\n`).join('') : 'nothing to remove\n')
    }
    return
  }
  // Host mode: stdout carries frames only, so anything that would log there goes to stderr.
  console.log = console.info = console.debug = (...a: unknown[]) => process.stderr.write(`${a.map(String).join(' ')}\n`)
  await runHost({ input: process.stdin, output: process.stdout, argv, version: VERSION })
  process.exit(0)
}

main().catch((e) => {
  process.stderr.write(`tidepool native-host: ${(e as Error).message}\n`)
  process.exit(1)
})
