/** An in-memory StateStore for tests; values are copied in and out so callers cannot alias them. */
import { IoError } from './ports.ts'
import type { StateStore } from './ports.ts'

export class MemoryStateStore implements StateStore {
  private readonly map = new Map<string, Uint8Array>()
  /** When set, `set` fails with this error (e.g. to test a full disk). */
  failWrites: IoError | null = null
  writes = 0

  async get(key: string): Promise<Uint8Array | null> {
    const v = this.map.get(key)
    return v ? v.slice() : null
  }

  async set(key: string, value: Uint8Array): Promise<void> {
    if (this.failWrites) throw this.failWrites
    if (typeof key !== 'string' || key === '') throw new IoError('invalid', 'empty state key')
    this.writes++
    this.map.set(key, value.slice())
  }

  async delete(key: string): Promise<void> {
    this.map.delete(key)
  }

  async keys(prefix: string): Promise<string[]> {
    return [...this.map.keys()].filter((k) => k.startsWith(prefix)).sort()
  }
}
