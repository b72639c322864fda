import { randomBytes } from 'node:crypto'
import { mkdir, open, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'

/** At least 128 bits in hex: shorter or non-hex tokens are refused (someone wrote a weak one by hand). */
export const TOKEN_PATTERN = /^[0-9a-fA-F]{32,}$/

/** Reads an existing token file, refusing one that others can read or that holds a weak token. */
async function readToken(file: string): Promise<string> {
  const fh = await open(file, 'r')
  try {
    const st = await fh.stat()
    if (!st.isFile()) throw new Error(`token file ${file} is not a regular file`)
    // fstat of the handle we read from: no window between the mode check and the read.
    if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
      throw new Error(
        `token file ${file} is readable by group or others (mode ${(st.mode & 0o777).toString(8)}); run chmod 600 on it or delete it`,
      )
    }
    const t = (await fh.readFile('utf8')).trim()
    if (!t) throw new Error(`token file ${file} is empty`)
    if (!TOKEN_PATTERN.test(t))
      throw new Error(
        `token file ${file} does not hold a token of at least 32 hex characters; delete it to get a fresh one`,
      )
    return t
  } finally {
    await fh.close()
  }
}

/**
 * Reads the daemon token from `file`, or creates the file (mode 0600) with 256 random bits in hex.
 * The token is never printed or logged.
 */
export async function loadOrCreateToken(file: string): Promise<string> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      return await readToken(file)
    } catch (e) {
      if ((e as { code?: string }).code !== 'ENOENT') throw e
    }
    await mkdir(dirname(file), { recursive: true, mode: 0o700 })
    const token = randomBytes(32).toString('hex')
    try {
      await writeFile(file, `${token}\n`, { mode: 0o600, flag: 'wx' })
      return token
    } catch (e) {
      if ((e as { code?: string }).code !== 'EEXIST') throw e // another process won the race: read theirs
    }
  }
  throw new Error(`cannot read or create token file ${file}`)
}
