#!/usr/bin/env node
// The whole suite: lint and format check (biome), typecheck every package, then every vitest project
// (unit + e2e) in one run so the output ends with one vitest summary. A lint or typecheck failure does
// not hide test results; the exit code is non-zero if any step failed, and the last line says which.
import { spawnSync } from 'node:child_process'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)))
const started = Date.now()
const step = (cmd, args) => spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit' }).status ?? 1

const lint = step('pnpm', ['exec', 'biome', 'ci', '.'])
// not --silent: that would hide the compiler's error lines
const typecheck = step('pnpm', ['run', 'typecheck'])
const tests = step('vitest', ['run', ...process.argv.slice(2)])
const secs = Math.round((Date.now() - started) / 1000)
const word = (code) => (code === 0 ? 'passed' : 'FAILED')
console.log(`\nTidepool suite: lint ${word(lint)}, typecheck ${word(typecheck)}, tests ${word(tests)} (${secs}s)`)
process.exit(lint === 0 && typecheck === 0 && tests === 0 ? 0 : 1)
