// What `pnpm soak` reads about a process from /proc: resident memory, open descriptors, and how many of
// them are TCP sockets (matched by inode against the namespace's /proc/net/tcp{,6} tables).
import { readdir, readFile, readlink } from 'node:fs/promises'

export interface ProcSample {
  rssKiB: number | null
  fds: number | null
  tcpSockets: number | null
  tcpEstablished: number | null
}

const ESTABLISHED = '01' // the `st` column of /proc/net/tcp

async function rssKiB(pid: number): Promise<number | null> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => null)
  const m = text ? /VmRSS:\s+(\d+)\s+kB/.exec(text) : null
  return m ? Number(m[1]) : null
}

/** inode → state of every TCP socket in the process's network namespace */
async function tcpInodes(pid: number): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  for (const table of ['tcp', 'tcp6']) {
    const text = await readFile(`/proc/${pid}/net/${table}`, 'utf8').catch(() => '')
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/)
      if (f.length > 9) out.set(f[9], f[3])
    }
  }
  return out
}

export async function sampleProcess(pid: number, opts: { tcp?: boolean } = {}): Promise<ProcSample> {
  const rss = await rssKiB(pid)
  let fdNames: string[] | null = null
  try {
    fdNames = await readdir(`/proc/${pid}/fd`)
  } catch {
    /* gone */
  }
  if (!opts.tcp || fdNames === null)
    return { rssKiB: rss, fds: fdNames?.length ?? null, tcpSockets: null, tcpEstablished: null }
  const tcp = await tcpInodes(pid)
  let sockets = 0,
    established = 0
  for (const fd of fdNames) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')
    const m = /^socket:\[(\d+)\]$/.exec(target)
    const state = m ? tcp.get(m[1]) : undefined
    if (state === undefined) continue
    sockets++
    if (state === ESTABLISHED) established++
  }
  return { rssKiB: rss, fds: fdNames.length, tcpSockets: sockets, tcpEstablished: established }
}
