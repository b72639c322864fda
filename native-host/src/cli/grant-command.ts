/**
 * `pnpm native-host grant NAME DIR`, `revoke NAME`, `roots`: the explicit grant of a folder to the
 * daemon. It runs as the user in a terminal, outside any browser, and writes the `roots` of
 * config.json; a running daemon picks the change up when a client lists roots (Settings → Refresh).
 */
import { mkdir, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { configDir } from '../native-messaging/config.ts'
import { readGrants, writeGrant } from '../daemon/root-grants.ts'

const USAGE =
  'usage: native-host grant NAME DIR [--config-dir DIR]\n       native-host revoke NAME [--config-dir DIR]\n       native-host roots [--config-dir DIR]\n'

/** Runs the command; returns what to print. Throws Error(usage) on bad arguments. */
export async function runGrantCommand(argv: string[]): Promise<string> {
  const rest: string[] = []
  let dir = configDir()
  for (let i = 1; i < argv.length; i++) {
    if (argv[i] === '--config-dir') {
      const v = argv[++i]
      if (!v) throw new Error(USAGE)
      dir = resolve(v)
    } else rest.push(argv[i]!)
  }
  const file = join(dir, 'config.json')
  await mkdir(dir, { recursive: true, mode: 0o700 })
  switch (argv[0]) {
    case 'grant': {
      if (rest.length !== 2) throw new Error(USAGE)
      const [name, folder] = rest as [string, string]
      const abs = resolve(folder)
      const st = await stat(abs).catch(() => null)
      if (!st?.isDirectory()) throw new Error(`not a folder: ${abs}`)
      if (name === 'downloads') throw new Error('"downloads" is the default folder (install --download-root)')
      await writeGrant(file, name, abs)
      return `granted ${name} → ${abs} (${file})\n`
    }
    case 'revoke': {
      if (rest.length !== 1) throw new Error(USAGE)
      await writeGrant(file, rest[0]!, null)
      return `revoked ${rest[0]}\n`
    }
    default: {
      const g = await readGrants(file)
      const lines = Object.entries(g).map(([n, d]) => `${n}\t${d}\n`)
      return lines.length ? lines.join('') : 'no folders granted besides downloads\n'
    }
  }
}
