export type HttpErrorCode =
  | 'network' // connect or socket failed, or the server closed a reused connection before answering
  | 'timeout' // no (complete) answer in time
  | 'bad-response' // unparseable, truncated, too many redirects
  | 'too-large' // response over the size cap
  | 'unsupported' // not an http(s) URL
  | 'aborted' // the caller gave up

export class HttpError extends Error {
  readonly code: HttpErrorCode
  constructor(code: HttpErrorCode, message: string) {
    super(message)
    this.code = code
    this.name = 'HttpError'
  }
}
