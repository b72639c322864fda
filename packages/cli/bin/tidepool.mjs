// `pnpm tidepool`: brings the CLI's bundle up to date with its sources (../bundle.mjs), then runs it in
// this process. package.json starts this with the data path's Node flags.
import { pathToFileURL } from 'node:url'
import { join } from 'node:path'
import { DIST, ensureBundle } from '../bundle.mjs'

await ensureBundle()
await import(pathToFileURL(join(DIST, 'main.mjs')).href)
