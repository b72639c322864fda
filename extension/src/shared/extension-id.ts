/**
 * Chrome's extension id for a manifest "key": the first 32 hex digits of SHA-256 of the DER public key,
 * each hex digit 0..f written as a..p. Web Crypto only, so it runs in Node 20 and in the browser.
 */
export async function extensionIdFromKey(base64DerSpki: string): Promise<string> {
  const der = Uint8Array.from(atob(base64DerSpki), (c) => c.charCodeAt(0))
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', der))
  let id = ''
  for (const b of digest.subarray(0, 16)) id += String.fromCharCode(97 + (b >> 4), 97 + (b & 15))
  return id
}
