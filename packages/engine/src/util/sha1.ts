/** SHA-1 via WebCrypto (Node 20, browsers, workers). */
export async function sha1(data: Uint8Array): Promise<Uint8Array> {
  // crypto.subtle wants an ArrayBuffer-backed view; copy only when the source is shared memory.
  const input = data.buffer instanceof ArrayBuffer ? (data as Uint8Array<ArrayBuffer>) : new Uint8Array(data)
  return new Uint8Array(await crypto.subtle.digest('SHA-1', input))
}
