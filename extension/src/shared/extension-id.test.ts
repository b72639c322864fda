import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { extensionIdFromKey } from './extension-id.ts'

const dir = new URL('../../', import.meta.url)

describe('pinned extension id', () => {
  it('EXTENSION_ID is derived from the public key in manifest.json', async () => {
    const manifest = JSON.parse(readFileSync(new URL('public/manifest.json', dir), 'utf8')) as { key: string }
    const id = readFileSync(new URL('EXTENSION_ID', dir), 'utf8').trim()
    expect(id).toMatch(/^[a-p]{32}$/)
    expect(await extensionIdFromKey(manifest.key)).toBe(id)
  })
  it('maps hex digits to a..p', async () => {
    // sha256("") = e3b0c442 98fc1c14 9afbf4c8 996fb924 ...
    expect(await extensionIdFromKey('')).toBe('odlameecjipmbmbejkplpemijjgpljce')
  })
})
