// Command-line options shared by the benchmarks: `--name value` and bare `--flag`.

export const MiB = 1024 * 1024

// Benchmarks and the soak set up no network of their own: no daemon they start (in this process or as
// a child, which inherits the environment) offers multicast, so no engine sends LSD announces.
process.env.TIDEPOOL_NO_MULTICAST = '1'

/** The value after `--name`, or `fallback`. */
export function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback
}

export function flag(name: string): boolean {
  return process.argv.includes(`--${name}`)
}
