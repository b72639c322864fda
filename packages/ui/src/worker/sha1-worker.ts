/**
 * Hash worker started by the engine worker: SHA-1 of one piece per message with WebCrypto, the
 * buffer transferred in and handed back with the digest (see createWorkerHasher in the engine).
 */
import type { HashJob, HashResult } from '@tidepool/engine'

const scope = self as unknown as {
  onmessage: ((ev: MessageEvent<HashJob>) => void) | null
  postMessage(m: HashResult, t: Transferable[]): void
  /** Jobs answered, for devtools and the browser tests (they check pieces are hashed here). */
  tidepoolHashed: number
}
scope.tidepoolHashed = 0

scope.onmessage = (ev) => {
  const { id, buffer } = ev.data
  void crypto.subtle.digest('SHA-1', buffer).then((d) => {
    scope.tidepoolHashed++
    scope.postMessage({ id, buffer, digest: new Uint8Array(d) }, [buffer])
  })
}
