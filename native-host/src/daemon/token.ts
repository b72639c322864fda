import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'

/**
 * Reads the daemon token from `file`, or creates the file (mode 0600) with 256 random bits in hex.
 * The token is never printed or logged.
 */
export async function loadOrCreateToken(file: string): Promise<string> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const t = (await readFile(file, 'utf8')).trim()
      if (!t) throw new Error(`token file ${file} is empty`)
      return t
    } catch (e) {
      if ((e as { code?: string }).code !== 'ENOENT') throw e
    }
    await mkdir(dirname(file), { recursive: true, mode: 0o700 })
    const token = randomBytes(32).toString('hex')
    try {
      await writeFile(file, token + '\n', { mode: 0o600, flag: 'wx' })
      return token
    } catch (e) {
      if ((e as { code?: string }).code !== 'EEXIST') throw e // another process won the race: read theirs
    }
  }
  throw new Error(`cannot read or create token file ${file}`)
}
