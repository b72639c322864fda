/** What bench:bridge and bench:bridge --companion share: child processes, a sender, CPU readings, time bounds. */
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { cpuSecondsOf } from '../fixtures/processes.ts'

export const LIMIT_MS = 120_000 // every phase is bounded in time

/** Starts a child process and returns its first stdout line. */
export async function child(
  cmd: string,
  args: string[],
  stderr: 'inherit' | 'ignore' = 'inherit',
): Promise<{ proc: ChildProcess; line: string }> {
  // No benchmark reaches a real router: port mapping stays off in everything it starts.
  const proc = spawn(cmd, args, {
    stdio: ['ignore', 'pipe', stderr],
    env: { ...process.env, TIDEPOOL_NO_PORT_MAPPING: '1' },
  })
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).once('line', resolve)
    proc.once('exit', (c) => reject(new Error(`${cmd} exited ${c}`)))
  })
  return { proc, line }
}

/** A sender process: every connection gets `total` bytes, then FIN. */
export function senderScript(total: number): string {
  return `const net=require('net');const buf=Buffer.alloc(1<<20,97);
net.createServer(s=>{let left=${total};s.on('error',()=>{});const pump=()=>{while(left>0){const n=Math.min(left,buf.length);left-=n;if(!s.write(n===buf.length?buf:buf.subarray(0,n)))return}s.end()};s.on('drain',pump);pump()})
.listen(0,'127.0.0.1',function(){console.log(this.address().port)})`
}

/** CPU seconds (user+system) a live process has used so far; throws if it cannot be read. */
export async function cpuOf(pid: number): Promise<number> {
  const s = await cpuSecondsOf(pid)
  if (s === null) throw new Error(`cannot read the CPU time of process ${pid}`)
  return s
}

/** CPU seconds of a live process's main thread only (its worker threads left out): what one core bounds. */
export async function mainThreadCpuOf(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises')
  const stat = await readFile(`/proc/${pid}/task/${pid}/stat`, 'utf8')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ') // fields from 3 (state) on
  return (Number(f[11]) + Number(f[12])) / 100 // utime, stime
}

/** CPU seconds (user+system) this process has used so far. */
export function selfCpu(): number {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1e6
}

export function withLimit<T>(p: Promise<T>, what: string): Promise<T> {
  let t: ReturnType<typeof setTimeout>
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<never>(
      (_, rej) => (t = setTimeout(() => rej(new Error(`${what} took over ${LIMIT_MS} ms`)), LIMIT_MS)),
    ),
  ])
}
