/** Failures the CLI reports with one clear line and a distinct exit code. */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  daemonUnreachable: 3,
  diskFull: 4,
  timeout: 5,
  badTorrent: 6,
  interrupted: 130,
} as const

export class CliError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message)
  }
}
