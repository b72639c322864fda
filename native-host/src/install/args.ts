/** `pnpm native-host install|uninstall [--browser chrome|chromium] [--extension-id ID] [--user-data-dir DIR] ...` */
import { resolve } from 'node:path'
import type { InstallOptions } from './install.ts'

export const INSTALL_USAGE =
  'usage: pnpm native-host install   [--browser chrome|chromium] [--extension-id ID] [--user-data-dir DIR] [--config-dir DIR] [--download-root DIR]\n' +
  '       pnpm native-host uninstall [--browser chrome|chromium] [--user-data-dir DIR]'

export interface InstallCommand {
  action: 'install' | 'uninstall'
  options: InstallOptions
}

export function parseInstallArgs(argv: string[]): InstallCommand {
  const action = argv[0]
  if (action !== 'install' && action !== 'uninstall') throw new Error(INSTALL_USAGE)
  const options: InstallOptions = { browser: 'chrome' }
  for (let i = 1; i < argv.length; i++) {
    const k = argv[i]!
    const val = (): string => {
      const v = argv[++i]
      if (v === undefined || v.startsWith('--')) throw new Error(`${k} needs a value\n${INSTALL_USAGE}`)
      return v
    }
    if (k === '--browser') {
      const b = val()
      if (b !== 'chrome' && b !== 'chromium') throw new Error(`--browser is chrome or chromium\n${INSTALL_USAGE}`)
      options.browser = b
    } else if (k === '--extension-id') options.extensionId = val()
    else if (k === '--user-data-dir') options.userDataDir = resolve(val())
    else if (k === '--config-dir' && action === 'install') options.configDir = resolve(val())
    else if (k === '--download-root' && action === 'install') options.downloadRoot = resolve(val())
    else throw new Error(`unknown option ${k}\n${INSTALL_USAGE}`)
  }
  return { action, options }
}
