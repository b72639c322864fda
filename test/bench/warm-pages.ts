// `--warm-pages` for the benchmarks whose leechers write a torrent's worth of data: on a VM whose host
// takes freed guest memory back (this one), putting a GiB into the page cache costs ~2 s of system time
// when its pages were freed long enough ago and ~0.3 s when they were freed just before, so which
// leecher got warm pages could decide a CPU comparison (docs/benchmarks.md, "Session 7"). Writing and
// deleting 1.5x the torrent right before each leecher starts them alike.
import { open, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { flag, MiB } from './bench-args.ts'

export const warmPages = flag('warm-pages')

/** With --warm-pages: 1.5x `sizeMiB` written under `dir` and deleted. Otherwise nothing. */
export async function warmPageCache(dir: string, sizeMiB: number): Promise<void> {
  if (!warmPages) return
  const file = join(dir, 'warm-pages.bin')
  const chunk = Buffer.alloc(MiB, 1)
  const fh = await open(file, 'w')
  try {
    for (let i = 0; i < Math.ceil(sizeMiB * 1.5); i++) await fh.write(chunk)
  } finally {
    await fh.close()
    await rm(file, { force: true })
  }
}
