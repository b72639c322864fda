import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { isOurDaemon } from './daemon-identity.ts'
import { DAEMON_CLI } from './ensure-daemon.ts'

const children: ChildProcess[] = []
const cleanups: Array<() => Promise<void>> = []
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM')
  for (const c of cleanups) await c()
})

function firstLine(c: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = ''
    const t = setTimeout(() => reject(new Error('daemon did not print its port in 20 s')), 20_000)
    c.stdout!.on('data', (b: Buffer) => {
      text += b.toString('utf8')
      if (text.includes('\n')) {
        clearTimeout(t)
        resolve(text.slice(0, text.indexOf('\n')))
      }
    })
  })
}

it('recognises our daemon on its own port, and nothing else', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tp-ident-'))
  cleanups.push(() => rm(dir, { recursive: true, force: true }))
  const daemon = spawn(
    process.execPath,
    [
      '--import',
      import.meta.resolve('tsx'),
      DAEMON_CLI,
      '--port',
      '0',
      '--token-file',
      join(dir, 'token'),
      '--root',
      `d=${dir}`,
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  )
  children.push(daemon)
  const { port } = JSON.parse(await firstLine(daemon)) as { port: number }

  // A squatter: some other process of ours holding another port, and an unrelated process.
  const squatter = net.createServer().listen(0, '127.0.0.1')
  await new Promise((r) => squatter.once('listening', r))
  cleanups.push(async () => void squatter.close())
  const squatterPort = (squatter.address() as net.AddressInfo).port
  const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' })
  children.push(sleeper)

  expect(await isOurDaemon(daemon.pid!, port, DAEMON_CLI)).toBe(true)
  expect(await isOurDaemon(daemon.pid!, squatterPort, DAEMON_CLI)).toBe(false) // pid right, port someone else's
  expect(await isOurDaemon(sleeper.pid!, port, DAEMON_CLI)).toBe(false) // reused pid: not our script
  expect(await isOurDaemon(process.pid, squatterPort, DAEMON_CLI)).toBe(false) // owns the port, wrong program
  expect(await isOurDaemon(1, port, DAEMON_CLI)).toBe(false)
})
