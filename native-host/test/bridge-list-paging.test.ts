// The daemon pages fs.list replies (maxListEntries per page); the client's FilePort.list follows `next`.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import WS from 'ws'
import { afterAll, expect, it } from 'vitest'
import { connectBridge } from '@tidepool/daemon-bridge'
import { startDaemon } from '../src/index.ts'
import { TOKEN } from './helpers.ts'

const cleanups: Array<() => Promise<void>> = []
afterAll(async () => {
  for (const c of cleanups.reverse()) await c()
})

it('FilePort.list returns every entry of a directory longer than one page', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tp-list-'))
  const daemon = await startDaemon({ token: TOKEN, roots: { r: dir }, caps: { maxListEntries: 7 } })
  cleanups.push(async () => {
    await daemon.close()
    await rm(dir, { recursive: true, force: true })
  })
  const names = Array.from({ length: 50 }, (_, i) => `файл-${String(i).padStart(2, '0')}.bin`)
  for (const n of names) await writeFile(join(dir, n), n)
  const c = await connectBridge({ url: daemon.url, token: TOKEN, WebSocketImpl: WS as never })
  cleanups.push(async () => c.close())
  const listed = await c.files.list('r', '')
  expect(listed.map((e) => e.name).sort()).toEqual(names)
  expect(listed.every((e) => !e.isDirectory && e.size === Buffer.byteLength(e.name))).toBe(true)
})
