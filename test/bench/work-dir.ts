// A benchmark's temp dir that goes away however the run ends: normally by the caller, and on Ctrl-C or
// SIGTERM by an exit hook (a 1 GiB swarm left in /tmp by an interrupted run fills the disk). The
// signals become an exit so processes.ts's own exit hook stops every child the run started.
import { rmSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export async function benchWorkDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130))
  return dir
}
