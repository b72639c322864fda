#!/usr/bin/env node
// Makes a fresh Debian machine with Node 20+ and npm ready to run Tidepool, then (with --run) runs a
// root package script with pnpm. Reruns are fast: every step first checks whether it is needed.
//
//   node scripts/bootstrap.mjs [--test-deps] [--run SCRIPT [ARGS...]]
//
// Steps: pnpm 10 (global install, else npx) -> `pnpm install --frozen-lockfile` when node_modules is
// missing or older than the lockfile/manifests -> with --test-deps, Debian's python3-libtorrent and
// chromium, ffmpeg and curl (streaming tests), iproute2 (ip netns, veth) for the LSD and port-mapping tests' own namespaces, and
// miniupnpd/miniupnpc/nftables for the port-mapping test, tcpdump for the companion test (apt-get as root, or sudo -n; miniupnpd
// preseeded never to start as a service) -> build the UI and extension if they have build scripts.
// pnpm is resolved here and used here, so `npm start`/`npm test` never depend on it being on PATH.
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)))
const PNPM_VERSION = '10.34.9'
const STAMP = join(ROOT, 'node_modules', '.tidepool-install-stamp')

const argv = process.argv.slice(2)
const runAt = argv.indexOf('--run')
const own = runAt >= 0 ? argv.slice(0, runAt) : argv
const runArgs = runAt >= 0 ? argv.slice(runAt + 1) : []
const testDeps = own.includes('--test-deps')

const log = (msg) => process.stderr.write(`[bootstrap] ${msg}\n`)
function die(msg) {
  log(`ERROR: ${msg}`)
  process.exit(1)
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, {
    cwd: ROOT,
    stdio: opts.quiet ? 'pipe' : 'inherit',
    encoding: 'utf8',
    env: { ...process.env, ...opts.env },
    timeout: opts.timeoutMs,
  })
  return { ok: r.status === 0, status: r.status ?? 1, stdout: r.stdout ?? '', error: r.error }
}

function checkNode() {
  const major = Number(process.versions.node.split('.')[0])
  if (major < 20) die(`Node ${process.versions.node} is too old; Tidepool needs Node 20 or newer`)
}

/** Returns the command (and leading args) that runs pnpm 10+. */
function resolvePnpm() {
  const works = (cmd, pre = []) => {
    const r = run(cmd, [...pre, '--version'], { quiet: true, timeoutMs: 120_000, env: { COREPACK_ENABLE_STRICT: '0' } })
    const major = Number(r.stdout.trim().split('.')[0])
    return r.ok && major >= 10 && major !== 11 // pnpm 11 needs Node 22.13
  }
  if (works('pnpm')) return ['pnpm']
  log(`pnpm ${PNPM_VERSION} not found; installing it with npm i -g`)
  if (run('npm', ['i', '-g', `pnpm@${PNPM_VERSION}`]).ok) {
    if (works('pnpm')) return ['pnpm']
    const prefix = run('npm', ['prefix', '-g'], { quiet: true }).stdout.trim()
    const bin = join(prefix, 'bin', 'pnpm')
    if (prefix && works(bin)) return [bin]
  }
  log(`global install failed or not on PATH; using npx --yes pnpm@${PNPM_VERSION}`)
  if (works('npx', ['--yes', `pnpm@${PNPM_VERSION}`])) return ['npx', '--yes', `pnpm@${PNPM_VERSION}`]
  die(`cannot run pnpm ${PNPM_VERSION} (tried PATH, npm i -g, npx)`)
}

/** Fingerprint of everything that decides what `pnpm install` produces. */
function installFingerprint() {
  const h = createHash('sha256')
  const files = ['pnpm-lock.yaml', 'pnpm-workspace.yaml', 'package.json']
  for (const dir of ['packages', '.']) {
    const base = join(ROOT, dir)
    const names = dir === '.' ? ['extension', 'native-host', 'test'] : readdirSync(base)
    for (const n of names) if (existsSync(join(base, n, 'package.json'))) files.push(join(dir, n, 'package.json'))
  }
  for (const f of files.sort())
    h.update(f)
      .update('\0')
      .update(existsSync(join(ROOT, f)) ? readFileSync(join(ROOT, f)) : '')
  return h.digest('hex')
}

function ensureInstall(pnpm) {
  const want = installFingerprint()
  const have = existsSync(STAMP) ? readFileSync(STAMP, 'utf8').trim() : ''
  if (have === want && existsSync(join(ROOT, 'node_modules', '.modules.yaml'))) return
  log('installing dependencies (pnpm install --frozen-lockfile)')
  const r = run(pnpm[0], [...pnpm.slice(1), 'install', '--frozen-lockfile'], { env: { CI: 'true' } })
  if (!r.ok) die('pnpm install --frozen-lockfile failed (is pnpm-lock.yaml up to date with the package.json files?)')
  writeFileSync(STAMP, `${want}\n`)
}

function ensureTestDeps() {
  const missing = []
  if (!run('/usr/bin/python3', ['-c', 'import libtorrent'], { quiet: true }).ok) missing.push('python3-libtorrent')
  if (!existsSync('/usr/bin/chromium')) missing.push('chromium')
  // `ip netns` / veth for the LSD and port-mapping tests' own namespaces; miniupnpd as the gateway of the
  // port-mapping test's namespaces
  if (!existsSync('/usr/sbin/miniupnpd')) missing.push('miniupnpd')
  if (!existsSync('/usr/bin/upnpc')) missing.push('miniupnpc')
  if (!existsSync('/usr/sbin/nft')) missing.push('nftables')
  if (!existsSync('/usr/sbin/ip') && !existsSync('/bin/ip')) missing.push('iproute2')
  // the companion test captures its veth to show nothing secret crosses it in clear
  if (!existsSync('/usr/bin/tcpdump') && !existsSync('/usr/sbin/tcpdump')) missing.push('tcpdump')
  // the web-seed interop test runs nginx in the foreground with its own config (never the service)
  if (!existsSync('/usr/sbin/nginx')) missing.push('nginx')
  // the https web-seed test makes its own certificate
  if (!existsSync('/usr/bin/openssl')) missing.push('openssl')
  // the streaming tests: a video made in the test setup, byte ranges read from the stream URL
  if (!existsSync('/usr/bin/ffmpeg')) missing.push('ffmpeg')
  if (!existsSync('/usr/bin/curl')) missing.push('curl')
  if (missing.length === 0) return
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
  const sudo = !isRoot && run('sudo', ['-n', 'true'], { quiet: true }).ok
  if (!isRoot && !sudo) {
    log(`WARNING: missing Debian packages: ${missing.join(' ')}. Install them as root:`)
    log(`  apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`)
    log('Tests that need them are reported as skipped until then.')
    return
  }
  const apt = (args) =>
    sudo
      ? run('sudo', ['-n', 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', ...args])
      : run('apt-get', args, { env: { DEBIAN_FRONTEND: 'noninteractive' } })
  if (missing.includes('miniupnpd')) {
    // Never as a service on this machine's own network: only the test starts it, inside its namespaces.
    const preseed = 'miniupnpd miniupnpd/start_daemon boolean false\n'
    const r = sudo
      ? spawnSync('sudo', ['-n', 'debconf-set-selections'], { input: preseed })
      : spawnSync('debconf-set-selections', [], { input: preseed })
    if (r.status !== 0) log('WARNING: could not preseed miniupnpd/start_daemon=false (debconf-set-selections failed)')
  }
  // nginx's package starts a system web server on port 80 unless policy-rc.d says no: say no for the
  // install when nothing on the machine says it already (containers usually have one)
  const policy = '/usr/sbin/policy-rc.d'
  const ownPolicy = missing.includes('nginx') && !existsSync(policy)
  if (ownPolicy) {
    const r = sudo
      ? spawnSync('sudo', ['-n', 'sh', '-c', `printf '#!/bin/sh\\nexit 101\\n' > ${policy} && chmod 755 ${policy}`])
      : spawnSync('sh', ['-c', `printf '#!/bin/sh\\nexit 101\\n' > ${policy} && chmod 755 ${policy}`])
    if (r.status !== 0) log('WARNING: could not write policy-rc.d; the nginx package may start its service')
  }
  log(`installing ${missing.join(' ')} with apt-get`)
  const installed = apt(['update']).ok && apt(['install', '-y', '--no-install-recommends', ...missing]).ok
  if (ownPolicy) sudo ? run('sudo', ['-n', 'rm', '-f', policy]) : run('rm', ['-f', policy])
  if (!installed) die(`apt-get install ${missing.join(' ')} failed`)
}

/** Newest mtime (ms) of files under dir, skipping node_modules, dist and dot-dirs; bounded walk. */
function newest(dir, skip = new Set(['node_modules', 'dist'])) {
  let best = 0
  const stack = [dir]
  for (let guard = 0; stack.length > 0 && guard < 20_000; guard++) {
    const d = stack.pop()
    let entries = []
    try {
      entries = readdirSync(d, { withFileTypes: true })
    } catch {
      continue
    }
    for (const e of entries) {
      if (e.name.startsWith('.') || skip.has(e.name)) continue
      const p = join(d, e.name)
      if (e.isDirectory()) stack.push(p)
      else {
        try {
          best = Math.max(best, statSync(p).mtimeMs)
        } catch {
          /* vanished */
        }
      }
    }
  }
  return best
}

/** Build the UI and the extension when they define a build script and their dist is out of date. */
function ensureBuilds(pnpm) {
  const engineSrc = newest(join(ROOT, 'packages', 'engine', 'src'))
  for (const dir of ['packages/ui', 'extension']) {
    const manifest = join(ROOT, dir, 'package.json')
    if (!existsSync(manifest)) continue
    const pkg = JSON.parse(readFileSync(manifest, 'utf8'))
    if (!pkg.scripts?.build) continue
    const stamp = join(ROOT, dir, 'dist', '.tidepool-build-stamp')
    const built = existsSync(stamp) ? statSync(stamp).mtimeMs : 0
    const sources = Math.max(newest(join(ROOT, dir)), engineSrc, newest(join(ROOT, 'packages', 'ui', 'src')))
    if (built > sources) continue
    log(`building ${pkg.name}`)
    if (!run(pnpm[0], [...pnpm.slice(1), '--filter', pkg.name, 'run', 'build']).ok) die(`build of ${pkg.name} failed`)
    if (existsSync(join(ROOT, dir, 'dist'))) writeFileSync(stamp, `${new Date().toISOString()}\n`)
  }
}

checkNode()
const pnpm = resolvePnpm()
ensureInstall(pnpm)
if (testDeps) ensureTestDeps()
ensureBuilds(pnpm)
if (runArgs.length > 0) {
  const r = spawnSync(pnpm[0], [...pnpm.slice(1), '--silent', 'run', ...runArgs], { cwd: ROOT, stdio: 'inherit' })
  process.exit(r.status ?? (r.signal ? 130 : 1))
}
