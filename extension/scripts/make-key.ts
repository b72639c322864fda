/**
 * One-off: generates the RSA key pair that pins the extension id. Prints the PUBLIC key (base64 DER
 * SPKI, for manifest.json "key") and the id; the private key is written only to the path given with
 * --private-out (never commit it: Chrome only needs it to sign a .crx, which Tidepool does not ship).
 *
 *   npx tsx extension/scripts/make-key.ts [--private-out FILE]
 */
import { generateKeyPairSync } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { extensionIdFromKey } from '../src/shared/extension-id.ts'

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const der = publicKey.export({ type: 'spki', format: 'der' })
const key = der.toString('base64')
const at = process.argv.indexOf('--private-out')
if (at > 0 && process.argv[at + 1])
  writeFileSync(process.argv[at + 1]!, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 })
process.stdout.write(`${JSON.stringify({ key, id: await extensionIdFromKey(key) }, null, 2)}\n`)
