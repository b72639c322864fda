/**
 * Termux (Android): start companion mode at boot. Termux:Boot runs every executable in
 * ~/.termux/boot/ once the device has booted; `termux-wake-lock` keeps Android from suspending the
 * process while it serves (without it the daemon freezes when the screen turns off).
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'

export interface TermuxSetupOptions {
  env: NodeJS.ProcessEnv
  /** The full command that starts companion mode: node, its flags, the bundle, `companion`, options. */
  command: readonly string[]
}

export interface TermuxSetupResult {
  bootScript: string
  isTermux: boolean
  message: string
}

const shq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`

/** True under Termux: its prefix lives in the app's data folder. */
export function isTermux(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.TERMUX_VERSION) || (env.PREFIX ?? '').includes('/com.termux/')
}

export function bootScript(o: { shell: string; command: readonly string[]; logFile: string }): string {
  return [
    `#!${o.shell}`,
    '# tidepool-helper companion at boot (written by `tidepool-helper termux-setup`).',
    'command -v termux-wake-lock >/dev/null 2>&1 && termux-wake-lock',
    `exec ${o.command.map(shq).join(' ')} >>${shq(o.logFile)} 2>&1`,
    '',
  ].join('\n')
}

export async function termuxSetup(o: TermuxSetupOptions): Promise<TermuxSetupResult> {
  const home = o.env.HOME || homedir()
  const termux = isTermux(o.env)
  const shell = termux ? join(o.env.PREFIX ?? '/data/data/com.termux/files/usr', 'bin', 'sh') : '/bin/sh'
  const dir = join(home, '.termux', 'boot')
  const path = join(dir, 'tidepool-helper')
  await mkdir(dir, { recursive: true })
  await writeFile(path, bootScript({ shell, command: o.command, logFile: join(home, 'tidepool-helper.log') }))
  await chmod(path, 0o700)
  const message = [
    `wrote ${path}`,
    termux
      ? 'Install the Termux:Boot app and open it once; companion mode then starts at every boot.'
      : 'This does not look like Termux (no TERMUX_VERSION): the script is written but nothing runs it here.',
    `Start it now with: ${o.command.map(shq).join(' ')}`,
  ].join('\n')
  return { bootScript: path, isTermux: termux, message }
}
