export type TrackerErrorCode =
  | 'failure' // the tracker answered with a failure reason (or BEP 15 error action)
  | 'network' // connect/send failed
  | 'timeout' // no (complete) answer in time
  | 'bad-response' // unparseable, truncated, wrong status, too many redirects
  | 'too-large' // response over the size cap
  | 'unsupported' // URL scheme we cannot announce to
  | 'aborted' // cancelled by the caller

export class TrackerError extends Error {
  readonly code: TrackerErrorCode
  constructor(code: TrackerErrorCode, message: string) {
    super(message)
    this.code = code
    this.name = 'TrackerError'
  }
}
