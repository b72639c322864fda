/**
 * Hash worker started by the engine worker: SHA-1 of one piece per message, the buffer transferred in
 * and handed back with the digest (see createWorkerHasher in the engine).
 *
 * SHA-1 runs in WebAssembly (hash-wasm): in Chromium it took ~1.6 ms per MiB against 3.1-4.5 ms for
 * `crypto.subtle.digest` (which copies its input and hops threads per call), and hashing is a large
 * share of the browser's CPU per downloaded byte (docs/benchmarks.md). WebAssembly needs the page's CSP
 * to allow 'wasm-unsafe-eval'; where it cannot start, WebCrypto hashes instead.
 */
import { createSHA1, type IHasher } from 'hash-wasm'
import type { HashJob, HashResult } from '@tidepool/engine'

const scope = self as unknown as {
  onmessage: ((ev: MessageEvent<HashJob>) => void) | null
  postMessage(m: HashResult, t: Transferable[]): void
  /** Jobs answered, for devtools and the browser tests (they check pieces are hashed here). */
  tidepoolHashed: number
  /** Which SHA-1 answered them (the browser tests check the WebAssembly one is usable under our CSP). */
  tidepoolHashImpl: 'starting' | 'wasm' | 'webcrypto'
}
scope.tidepoolHashed = 0
scope.tidepoolHashImpl = 'starting'

let wasm: IHasher | null = null
const ready = createSHA1().then(
  (h) => {
    wasm = h
    scope.tidepoolHashImpl = 'wasm'
  },
  () => {
    scope.tidepoolHashImpl = 'webcrypto'
  },
)

const webCryptoSha1 = async (buffer: ArrayBuffer): Promise<Uint8Array> =>
  new Uint8Array(await crypto.subtle.digest('SHA-1', buffer))

async function sha1(buffer: ArrayBuffer): Promise<Uint8Array> {
  if (!wasm) await ready // jobs stay in order: each waits for the same promise, then runs synchronously
  if (!wasm) return webCryptoSha1(buffer)
  wasm.init()
  wasm.update(new Uint8Array(buffer))
  return wasm.digest('binary')
}

scope.onmessage = (ev) => {
  const { id, buffer } = ev.data
  sha1(buffer)
    .catch(() => webCryptoSha1(buffer))
    .then((digest) => {
      scope.tidepoolHashed++
      scope.postMessage({ id, buffer, digest }, [buffer])
    })
}
