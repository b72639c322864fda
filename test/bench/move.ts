// fs.move across filesystems through the real daemon (copy + fsync + SHA-1 read-back + remove), against
// `cp` + `sync` of the same file in the same run: the ratio is what to compare, the MiB/s swing with load.
// Run: pnpm exec tsx test/bench/move.ts [--mib 256] [--rounds 3]
import { execFileSync } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { connectBridgeNode } from '@tidepool/daemon-bridge/node'
import { startDaemon } from '@tidepool/native-host'
import { option } from './bench-args.ts'

const MiB = 1024 * 1024
const mib = Number(option('mib', '256'))
const rounds = Number(option('rounds', '3'))
if (!existsSync('/dev/shm') || statSync('/dev/shm').dev === statSync(tmpdir()).dev)
  throw new Error('needs /dev/shm on another filesystem than the temp directory')

const disk = await mkdtemp(join(tmpdir(), 'tp-bench-move-'))
const shm = await mkdtemp(join('/dev/shm', 'tp-bench-move-'))
const token = 'b'.repeat(64)
const daemon = await startDaemon({ token, roots: { disk, shm } })
const c = await connectBridgeNode({ url: daemon.url, token })
const data = Buffer.alloc(mib * MiB)
for (let i = 0; i < data.length; i += 4096) data.writeUInt32LE((i * 2654435761) >>> 0, i)
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const move: number[] = []
const cp: number[] = []
try {
  for (let r = 0; r < rounds; r++) {
    await writeFile(join(disk, 'f.bin'), data)
    execFileSync('sync')
    // the same direction both times: disk → tmpfs
    let t0 = performance.now()
    execFileSync('cp', [join(disk, 'f.bin'), join(shm, `cp${r}.bin`)])
    execFileSync('sync')
    cp.push(performance.now() - t0)
    await rm(join(shm, `cp${r}.bin`))
    t0 = performance.now()
    await c.files.move!('disk', 'f.bin', 'shm', `f${r}.bin`)
    move.push(performance.now() - t0)
    await rm(join(shm, `f${r}.bin`))
  }
  const m = median(move)
  const k = median(cp)
  console.log(
    JSON.stringify({
      mib,
      rounds,
      moveMs: Math.round(m),
      moveMiBps: Math.round((mib * 1000) / m),
      cpSyncMs: Math.round(k),
      cpSyncMiBps: Math.round((mib * 1000) / k),
      ratio: Number((m / k).toFixed(2)),
      load: loadavg().map((x) => x.toFixed(2)),
    }),
  )
} finally {
  c.close()
  await daemon.close()
  await rm(disk, { recursive: true, force: true })
  await rm(shm, { recursive: true, force: true })
}
