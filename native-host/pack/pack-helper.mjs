// `pnpm pack:helper`: the native helper as one self-contained npm package, tidepool-helper-<version>.tgz.
// One esbuild bundle holds the daemon, the native-messaging host, companion mode and the installer
// (no tsx, no workspace, no checkout), so `npm install -g <tarball>` is the whole install. The only
// dependency left outside is the optional native add-on `bufferutil` (ws works without it, slower):
// a phone under Termux has no build step and no prebuilt binary for it.
// Plain JS: it runs before anything is compiled. Prints the tarball's path as its last line.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const HERE = dirname(fileURLToPath(import.meta.url))
const NATIVE_HOST = resolve(HERE, '..')
const ROOT = resolve(NATIVE_HOST, '..')

export async function packHelper({ outDir = join(ROOT, 'dist', 'helper'), quiet = false } = {}) {
  const own = JSON.parse(readFileSync(join(NATIVE_HOST, 'package.json'), 'utf8'))
  const version = own.version
  const stage = join(outDir, 'stage')
  rmSync(stage, { recursive: true, force: true })
  mkdirSync(join(stage, 'bin'), { recursive: true })

  const esbuild = await import('esbuild')
  const r = await esbuild.build({
    entryPoints: [join(NATIVE_HOST, 'src', 'cli', 'helper.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: join(stage, 'bin', 'tidepool-helper.mjs'),
    // ws loads these only if present: bufferutil is an optional dependency of the package
    external: ['bufferutil', 'utf-8-validate'],
    define: { __TIDEPOOL_HELPER_VERSION__: JSON.stringify(version) },
    banner: {
      js: [
        '#!/usr/bin/env node',
        // CommonJS dependencies (ws) call require() for Node's built-ins
        "import { createRequire as __tidepoolRequire } from 'node:module'; const require = __tidepoolRequire(import.meta.url);",
      ].join('\n'),
    },
    minifySyntax: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
  })

  writeFileSync(
    join(stage, 'EXTENSION_ID'),
    `${readFileSync(join(ROOT, 'extension', 'EXTENSION_ID'), 'utf8').trim()}\n`,
  )
  writeFileSync(join(stage, 'THIRD_PARTY_LICENSES.txt'), thirdPartyLicenses(r.metafile))
  writeFileSync(join(stage, 'README.md'), readme(version))
  const pkg = {
    name: 'tidepool-helper',
    version,
    description: 'Tidepool native helper: sockets and files for the Tidepool browser extension, and companion mode',
    type: 'module',
    bin: { 'tidepool-helper': 'bin/tidepool-helper.mjs' },
    files: ['bin', 'EXTENSION_ID', 'README.md', 'THIRD_PARTY_LICENSES.txt'],
    engines: { node: '>=20' },
    optionalDependencies: { bufferutil: own.dependencies.bufferutil },
    license: 'MIT',
  }
  writeFileSync(join(stage, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`)

  const tarball = join(outDir, `tidepool-helper-${version}.tgz`)
  rmSync(tarball, { force: true })
  execFileSync('npm', ['pack', '--silent', '--pack-destination', outDir], {
    cwd: stage,
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  if (!existsSync(tarball)) throw new Error(`npm pack wrote no ${tarball}`)
  if (!quiet) process.stdout.write(`${tarball}\n`)
  return tarball
}

/** The license text of every npm package the bundle took code from (ws and whatever it pulls in). */
function thirdPartyLicenses(metafile) {
  const dirs = new Set()
  for (const input of Object.keys(metafile.inputs)) {
    const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input)
    if (m) dirs.add(resolve(process.cwd(), m[1]))
  }
  const parts = []
  for (const dir of [...dirs].sort()) {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
    const file = ['LICENSE', 'LICENSE.md', 'LICENSE.txt', 'license'].map((f) => join(dir, f)).find(existsSync)
    parts.push(`${pkg.name}@${pkg.version} (${pkg.license ?? 'see text'})\n\n${file ? readFileSync(file, 'utf8') : ''}`)
  }
  return `${parts.join(`\n${'-'.repeat(72)}\n\n`)}\n`
}

function readme(version) {
  return `# tidepool-helper ${version}

The native helper of the Tidepool browser extension: it opens the sockets and writes the files the
extension's engine asks for, only for the extension (and Tidepool's local page) holding its token,
and only inside the download folders you grant it.

    npm install -g tidepool-helper-${version}.tgz
    tidepool-helper install                      # Google Chrome
    tidepool-helper install --browser chromium   # Chromium
    tidepool-helper companion                    # serve a browser on another device (pairing code)
    tidepool-helper termux-setup                 # Android/Termux: start companion mode at boot
    tidepool-helper uninstall [--browser chromium]

Downloads go to ~/Downloads/Tidepool unless config.json says otherwise (~/.config/tidepool/).
`
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await packHelper()
