/**
 * `tidepool-helper`: the one command of the self-contained helper package (`pnpm pack:helper`). Each
 * subcommand runs the same module `pnpm native-host` / `pnpm daemon` run from a checkout, so the
 * package and the checkout cannot drift apart; the bundle carries them all.
 */
import { LAUNCH_LAYOUT } from '../launch-layout.ts'
import { termuxSetup } from './termux-setup.ts'

const USAGE = `usage: tidepool-helper <command> [options]

  install [--browser chrome|chromium] [--extension-id ID] [--user-data-dir DIR] [--config-dir DIR] [--download-root DIR]
            register the native-messaging host with Chrome or Chromium
  uninstall [--browser chrome|chromium] [--user-data-dir DIR]
  companion [options]   run the daemon in companion mode (pair a browser on another device)
  daemon [options]      run the daemon (the host starts it; by hand for debugging)
  host ORIGIN           what the browser runs (through the launcher \`install\` writes)
  termux-setup          start companion mode when an Android device boots (Termux:Boot)
  --version
`

/** Runs a CLI module as if node had been started on it with `args`. */
async function runAs(args: string[], load: () => Promise<unknown>): Promise<void> {
  process.argv = [process.argv[0]!, process.argv[1]!, ...args]
  await load()
}

async function main(): Promise<void> {
  const [cmd, ...rest] = process.argv.slice(2)
  switch (cmd) {
    case 'install':
    case 'uninstall':
      return runAs([cmd, ...rest], () => import('./native-host.ts'))
    case 'host':
      return runAs(rest, () => import('./native-host.ts'))
    case 'daemon':
      return runAs(rest, () => import('./daemon.ts'))
    case 'companion':
      return runAs(['--companion', ...rest], () => import('./daemon.ts'))
    case 'termux-setup': {
      const daemon = LAUNCH_LAYOUT.daemonArgs
      // the bundle's `daemon` subcommand becomes `companion`; a checkout's daemon script takes --companion
      const command =
        LAUNCH_LAYOUT.kind === 'bundle'
          ? [process.execPath, ...daemon.slice(0, -1), 'companion']
          : [process.execPath, ...daemon, '--companion']
      const r = await termuxSetup({ env: process.env, command: [...command, ...rest] })
      process.stdout.write(`${r.message}\n`)
      return
    }
    case '--version':
    case 'version':
      process.stdout.write(`${LAUNCH_LAYOUT.version}\n`)
      return
    case undefined:
    case 'help':
    case '--help':
      process.stdout.write(USAGE)
      return
    default:
      process.stderr.write(`unknown command ${cmd}\n${USAGE}`)
      process.exit(2)
  }
}

main().catch((e) => {
  process.stderr.write(`tidepool-helper: ${(e as Error).message}\n`)
  process.exit(1)
})
