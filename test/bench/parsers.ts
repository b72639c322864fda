/**
 * bench:parsers — the parsers' worst-case inputs, each against a normal input of the same byte size
 * parsed in the same run (machines are noisy: the bound is relative). Every input is built and
 * parsed in a child process of its own, so its peak memory (the process's maxRSS) is its own.
 * Usage: pnpm bench:parsers [--repeat N] [--child-timeout S]
 * Fails (exit 1) when a case takes more than 20x its reference's time (+50 ms for timer noise on
 * tiny references), peaks more than 200 MiB above its reference, or its child dies or times out.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import {
  MetadataAssembler,
  decodeBencode,
  metadataPieceCount,
  metadataPieceLength,
  METADATA_PIECE_SIZE,
  parseInfoDictionary,
  parseMagnet,
  parseMetainfo,
  sha1,
} from '@tidepool/engine'
import { MiB, option } from './bench-args.ts'

const TIME_FACTOR = 20
const TIME_SLACK_MS = 50
const MEMORY_SLACK_MIB = 200
const CHILD_HEAP_MIB = 2048 // an unbounded parser dies here (exit 134) instead of swapping the machine

// ---- inputs: written straight into byte arrays, so building them costs only their own size ----

const ascii = (s: string) => new TextEncoder().encode(s)

/** Bytes made of `head`, then `unit` repeated to fill `size` minus `tail`, then `tail`. */
function repeated(size: number, head: string, unit: string, tail: string): Uint8Array {
  const h = ascii(head),
    u = ascii(unit),
    t = ascii(tail)
  const count = Math.floor((size - h.length - t.length) / u.length)
  const out = new Uint8Array(h.length + count * u.length + t.length)
  out.set(h, 0)
  let o = h.length
  for (let i = 0; i < count; i++, o += u.length) out.set(u, o)
  out.set(t, o)
  return out
}

const PIECE = 16384

/** A single-file info dictionary whose 'pieces' fill `size` bytes: the normal torrent of that size. */
function normalInfo(size: number): Uint8Array {
  const fixed = 'd6:lengthi0000000000000e4:name6:normal12:piece lengthi16384e6:pieces00000000:e'.length
  const count = Math.floor((size - fixed) / 20)
  const head = `d6:lengthi${count * PIECE}e4:name6:normal12:piece lengthi${PIECE}e6:pieces${count * 20}:`
  const out = new Uint8Array(head.length + count * 20 + 1)
  out.set(ascii(head), 0)
  for (let i = head.length; i < out.length - 1; i++) out[i] = (i * 7919) & 0xff
  out[out.length - 1] = 0x65 // 'e'
  return out
}

const smallInfo = `d6:lengthi100e4:name4:junk12:piece lengthi16384e6:pieces20:${'h'.repeat(20)}e`

function normalTorrent(size: number): Uint8Array {
  const info = normalInfo(size - 'd4:infoe'.length)
  const out = new Uint8Array(info.length + 8)
  out.set(ascii('d4:info'), 0)
  out.set(info, 7)
  out[out.length - 1] = 0x65
  return out
}

/** Millions of empty strings in a key nobody reads: 2 bytes each in the file. */
const emptyStringsTorrent = (size: number) => repeated(size, `d4:info${smallInfo}4:junkl`, '0:', 'ee')

/** 1,000,000 one-byte files. */
function millionFiles(): Uint8Array {
  const n = 1_000_000
  const files: string[] = []
  for (let i = 0; i < n; i++) files.push(`d6:lengthi1e4:pathl${String(i).length}:${i}ee`)
  const pieces = Math.ceil(n / PIECE)
  return ascii(
    `d4:infod5:filesl${files.join('')}e4:name5:files12:piece lengthi${PIECE}e6:pieces${pieces * 20}:${'h'.repeat(pieces * 20)}ee`,
  )
}

const HASH = 'd3c57152dfffec6882294dc1da18e3af84ef6d97'
const MAGNET_BYTES = 64 * 1024 - 16 // under the parser's 64 KiB cap

interface Case {
  name: string
  /** Builds the input and returns the parse to time; it returns the outcome to print. */
  build(role: 'case' | 'ref'): () => Promise<string>
}

async function outcome(f: () => unknown): Promise<string> {
  try {
    await f()
    return 'parsed'
  } catch (e) {
    const code = (e as { code?: string }).code
    return `${(e as Error).name}(${code ?? (e as Error).message.slice(0, 40)})`
  }
}

/** Metadata pieces from peers through the assembler (SHA-1 checked), then parsed. */
async function fetchedInfo(info: Uint8Array): Promise<() => Promise<string>> {
  const hash = await sha1(info)
  return async () => {
    const asm = new MetadataAssembler(hash)
    let r = null
    for (let p = 0; p < metadataPieceCount(info.length); p++) {
      const start = p * METADATA_PIECE_SIZE
      r = await asm.onData('peer', p, info.length, info.subarray(start, start + metadataPieceLength(info.length, p)))
    }
    if (r?.status !== 'done') return `assembler: ${r?.status}`
    return outcome(() => parseInfoDictionary(r.infoBytes))
  }
}

const CASES: Case[] = [
  {
    name: 'magnet so= flood, 64 KiB',
    build: (role) => {
      const head = `magnet:?xt=urn:btih:${HASH}`
      const link = new TextDecoder().decode(
        role === 'case'
          ? repeated(MAGNET_BYTES, head, '&so=0-9999999', '')
          : repeated(MAGNET_BYTES, head, '&tr=http%3A%2F%2Ft.example%2Fa', ''),
      )
      return () => outcome(() => parseMagnet(link))
    },
  },
  ...[16, 49].map((mib) => ({
    name: `.torrent of empty strings, ${mib} MiB`,
    build: (role: 'case' | 'ref') => {
      const bytes = role === 'case' ? emptyStringsTorrent(mib * MiB) : normalTorrent(mib * MiB)
      return () => outcome(() => parseMetainfo(bytes))
    },
  })),
  {
    name: '.torrent with 1,000,000 files',
    build: (role) => {
      const files = millionFiles()
      const bytes = role === 'case' ? files : normalTorrent(files.length)
      return () => outcome(() => parseMetainfo(bytes))
    },
  },
  {
    name: 'magnet metadata, 8 MiB info dict',
    build: (role) => {
      const size = 8 * MiB
      const info = role === 'case' ? repeated(size, `${smallInfo.slice(0, -1)}4:junkl`, '0:', 'ee') : normalInfo(size)
      const run = fetchedInfo(info)
      return async () => (await run)()
    },
  },
  {
    name: 'bencode nested 8M deep, 16 MiB',
    build: (role) => {
      const n = 8 * MiB
      const bytes = role === 'case' ? new Uint8Array(2 * n).fill(0x6c, 0, n).fill(0x65, n) : normalInfo(2 * n) // 'l' x n, 'e' x n
      return () => outcome(() => decodeBencode(bytes))
    },
  },
]

// ---- child: build one input, parse it `repeat` times, report the best time and the peak ----

async function child(name: string, role: 'case' | 'ref', repeat: number): Promise<void> {
  const c = CASES.find((x) => x.name === name)!
  const run = c.build(role)
  let best = Infinity
  let result = ''
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now()
    result = await run()
    best = Math.min(best, performance.now() - t0)
  }
  const peakMiB = process.resourceUsage().maxRSS / 1024
  process.stdout.write(`${JSON.stringify({ ms: best, peakMiB, result })}\n`)
}

// ---- parent ----

interface Measured {
  ms: number
  peakMiB: number
  result: string
}

function measure(name: string, role: 'case' | 'ref', repeat: number, timeoutSec: number): Promise<Measured | string> {
  return new Promise((resolve) => {
    const file = fileURLToPath(import.meta.url)
    const p = spawn(
      process.execPath,
      [
        `--max-old-space-size=${CHILD_HEAP_MIB}`,
        '--import',
        'tsx',
        file,
        '--child',
        name,
        '--role',
        role,
        '--repeat',
        String(repeat),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let out = ''
    let err = ''
    p.stdout.on('data', (d) => (out += d))
    p.stderr.on('data', (d) => (err += d))
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutSec * 1000)
    p.on('close', (code, signal) => {
      clearTimeout(timer)
      if (code === 0 && out.trim()) return resolve(JSON.parse(out.trim().split('\n').at(-1)!) as Measured)
      const why =
        signal === 'SIGKILL'
          ? `timed out after ${timeoutSec} s`
          : `exit ${code ?? signal}${/heap out of memory/i.test(err) ? ' (V8 out of memory)' : ''}`
      resolve(why)
    })
  })
}

async function main(): Promise<number> {
  const repeat = Math.min(10, Math.max(1, Number(option('repeat', '3')) || 3))
  const timeoutSec = Math.max(5, Number(option('child-timeout', '120')) || 120)
  console.log(
    `bench:parsers — each case against a normal input of the same size (best of ${repeat}; bound ${TIME_FACTOR}x time + ${TIME_SLACK_MS} ms, +${MEMORY_SLACK_MIB} MiB peak)`,
  )
  console.log(
    `${'case'.padEnd(34)} ${'outcome'.padEnd(40)} ${'time ms'.padStart(9)} ${'ref ms'.padStart(8)} ${'peak MiB'.padStart(9)} ${'ref MiB'.padStart(8)}  verdict`,
  )
  let failed = 0
  for (const c of CASES) {
    const ref = await measure(c.name, 'ref', repeat, timeoutSec)
    const got = await measure(c.name, 'case', repeat, timeoutSec)
    if (typeof ref === 'string' || typeof got === 'string') {
      failed++
      console.log(
        `${c.name.padEnd(34)} ${`case: ${typeof got === 'string' ? got : 'ok'}`}, reference: ${typeof ref === 'string' ? ref : 'ok'}  FAIL`,
      )
      continue
    }
    const slow = got.ms > ref.ms * TIME_FACTOR + TIME_SLACK_MS
    const big = got.peakMiB > ref.peakMiB + MEMORY_SLACK_MIB
    if (slow || big) failed++
    const verdict = slow || big ? `FAIL (${[slow && 'time', big && 'memory'].filter(Boolean).join(', ')})` : 'ok'
    console.log(
      `${c.name.padEnd(34)} ${got.result.padEnd(40)} ${got.ms.toFixed(1).padStart(9)} ${ref.ms.toFixed(1).padStart(8)} ${got.peakMiB.toFixed(0).padStart(9)} ${ref.peakMiB.toFixed(0).padStart(8)}  ${verdict}`,
    )
  }
  console.log(failed ? `${failed} case(s) over their bound` : 'all cases within their bounds')
  return failed ? 1 : 0
}

if (process.argv.includes('--child'))
  await child(option('child', ''), option('role', 'case') as 'case' | 'ref', Number(option('repeat', '3')))
else process.exitCode = await main()
