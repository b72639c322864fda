/**
 * Is the process a stale daemon.json names really our daemon, listening on the named port?
 * A pid can be reused and a port taken by anything after the daemon died; handing the token to
 * whatever listens there, or SIGTERMing whatever has the pid, would be wrong. So: the process must
 * be ours (signal 0 succeeds, not EPERM), its command line must run our daemon script, and on Linux
 * the listening socket on 127.0.0.1:port must be one of its own file descriptors.
 */
import { execFileSync } from 'node:child_process'
import { readFile, readdir, readlink } from 'node:fs/promises'

function ownProcess(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false // ESRCH: gone; EPERM: another user's process, never our daemon
  }
}

/** '' when it cannot be read (the process is gone or not ours): then it is not our daemon. */
async function commandLine(pid: number): Promise<string> {
  if (process.platform === 'linux')
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0').join(' ')
  try {
    return execFileSync('ps', ['-p', String(pid), '-o', 'command='], { encoding: 'utf8', timeout: 2000 })
  } catch {
    return ''
  }
}

/** Inodes of sockets listening on 127.0.0.1:port (IPv4 table; the daemon binds 127.0.0.1 only). */
async function listeningInodes(port: number): Promise<Set<string>> {
  const out = new Set<string>()
  const table = await readFile('/proc/net/tcp', 'utf8').catch(() => '') // unreadable: no listener we can vouch for
  const want = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`
  for (const line of table.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/)
    if (f[1] === want && f[3] === '0A') out.add(f[9]) // 0A = LISTEN; field 9 = inode
  }
  return out
}

async function ownsListener(pid: number, port: number): Promise<boolean> {
  const inodes = await listeningInodes(port)
  if (inodes.size === 0) return false
  // Unreadable (gone, or another user's): it cannot be shown to own the port, so it is not trusted.
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[])
  for (const fd of fds.slice(0, 100_000)) {
    const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '') // closed since readdir
    const m = /^socket:\[(\d+)\]$/.exec(link)
    if (m && inodes.has(m[1])) return true
  }
  return false
}

export async function isOurDaemon(pid: number, port: number, daemonScript: string): Promise<boolean> {
  if (!Number.isInteger(pid) || pid <= 1 || !ownProcess(pid)) return false
  if (!(await commandLine(pid)).includes(daemonScript)) return false
  // Elsewhere (macOS) the command line is the check we have; the token then goes only to our script.
  return process.platform === 'linux' ? ownsListener(pid, port) : true
}
