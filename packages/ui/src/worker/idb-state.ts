/**
 * StateStore over IndexedDB (dedicated workers and extension pages have it; they have no chrome.*).
 * One object store of key → bytes. Each call is its own transaction, which is plenty for settings and
 * resume data written a few times a minute.
 */
import type { StateStore } from '@tidepool/engine'

const STORE = 'kv'

function req<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result)
    r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'))
  })
}

export async function openIdbState(
  dbName = 'tidepool-state',
  idb: IDBFactory = indexedDB,
): Promise<StateStore & { close(): void }> {
  const open = idb.open(dbName, 1)
  open.onupgradeneeded = () => {
    if (!open.result.objectStoreNames.contains(STORE)) open.result.createObjectStore(STORE)
  }
  const db = await req(open)
  const tx = (mode: IDBTransactionMode) => db.transaction(STORE, mode).objectStore(STORE)
  const done = (t: IDBObjectStore) =>
    new Promise<void>((resolve, reject) => {
      t.transaction.oncomplete = () => resolve()
      t.transaction.onerror = () => reject(t.transaction.error ?? new Error('IndexedDB write failed'))
      t.transaction.onabort = () => reject(t.transaction.error ?? new Error('IndexedDB write aborted (quota?)'))
    })
  return {
    async get(key) {
      const v = await req(tx('readonly').get(key))
      return v instanceof Uint8Array ? v : v instanceof ArrayBuffer ? new Uint8Array(v) : null
    },
    async set(key, value) {
      const s = tx('readwrite')
      // Store a private copy: the caller may reuse its buffer.
      s.put(value.slice(), key)
      await done(s)
    },
    async delete(key) {
      const s = tx('readwrite')
      s.delete(key)
      await done(s)
    },
    async keys(prefix) {
      const range = prefix ? IDBKeyRange.bound(prefix, `${prefix}\uffff`) : undefined
      const all = await req(tx('readonly').getAllKeys(range))
      return all.filter((k): k is string => typeof k === 'string' && k.startsWith(prefix)).sort()
    },
    close() {
      db.close()
    },
  }
}
