import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { StateStore } from '@tidepool/engine'

/** The writes a store makes; a test passes failing ones to see what a full disk leaves behind. */
export interface StateFileOps {
  writeFile(path: string, data: Uint8Array): Promise<void>
  rename(from: string, to: string): Promise<void>
}

const nodeFileOps: StateFileOps = { writeFile, rename }

/** The pid in a temp file name this store writes (`<name>.bin.<pid>.<seq>.tmp`), or null. */
function tempFileWriter(name: string): number | null {
  const m = /\.bin\.(\d+)\.\d+\.tmp$/.exec(name)
  return m ? Number(m[1]) : null
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' // alive, another user's
  }
}

/**
 * A StateStore backed by one directory: one file per key. Keys are percent-encoded into file
 * names so any key (slashes, colons) maps to a single safe name. Writes go to a temp file and are
 * renamed into place so a crash never leaves a half-written value; a write that fails (a full
 * disk) removes its temp file, so failures leave nothing behind. Temp files of a writer that was
 * killed mid-write (`kill -9`, power loss) are swept when the store is first used: their names carry
 * the writer's pid, and only those of processes no longer alive are removed.
 */
export class DirStateStore implements StateStore {
  private ready: Promise<void> | null = null
  private seq = 0

  constructor(
    readonly dir: string,
    private readonly fileOps: StateFileOps = nodeFileOps,
  ) {}

  private ensureDir(): Promise<void> {
    this.ready ??= mkdir(this.dir, { recursive: true }).then(() => this.sweepDeadWritersTemps())
    return this.ready
  }

  private async sweepDeadWritersTemps(): Promise<void> {
    for (const name of await readdir(this.dir)) {
      const pid = tempFileWriter(name)
      if (pid === null || pid === process.pid || processAlive(pid)) continue
      // a failed sweep only leaves the file for the next start
      await rm(join(this.dir, name), { force: true }).catch(() => undefined)
    }
  }

  private fileFor(key: string): string {
    return join(this.dir, `${encodeURIComponent(key).replace(/\./g, '%2E')}.bin`)
  }

  async get(key: string): Promise<Uint8Array | null> {
    try {
      const buf = await readFile(this.fileFor(key))
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw err
    }
  }

  async set(key: string, value: Uint8Array): Promise<void> {
    await this.ensureDir()
    const file = this.fileFor(key)
    const tmp = `${file}.${process.pid}.${++this.seq}.tmp`
    try {
      await this.fileOps.writeFile(tmp, value)
      await this.fileOps.rename(tmp, file)
    } catch (err) {
      // writeFile creates the file before it fails on ENOSPC; the write's own error is the one to report.
      await rm(tmp, { force: true }).catch(() => undefined)
      throw err
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.fileFor(key), { force: true })
  }

  async keys(prefix: string): Promise<string[]> {
    let names: string[]
    try {
      names = await readdir(this.dir)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw err
    }
    const out: string[] = []
    for (const name of names) {
      if (!name.endsWith('.bin')) continue
      let key: string
      try {
        key = decodeURIComponent(name.slice(0, -4))
      } catch {
        continue // not a name this store wrote (a stray file in the state directory)
      }
      if (key.startsWith(prefix)) out.push(key)
    }
    return out.sort()
  }
}
