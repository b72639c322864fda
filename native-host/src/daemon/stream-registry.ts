/**
 * Files published for media players, daemon-wide (the HTTP server that serves them is daemon-wide):
 * secret → the file and the session that decides when its bytes may be read. Each session keeps
 * its own (stream-ops.ts) and removes them when it ends.
 */
export interface PublishedFile {
  /** Absolute path, checked by the session's PathGuard when published. */
  readonly absPath: string
  readonly length: number
  readonly name: string
  /**
   * Asks the publishing client to make [offset, offset + length) ready; resolves when it says so,
   * rejects (`timeout`, the client's error, unpublished) otherwise. `cancel` tells the client the
   * reader went away (once, answered or not).
   */
  need(offset: number, length: number): { ready: Promise<void>; cancel(): void }
}

export class StreamRegistry {
  private readonly bySecret = new Map<string, PublishedFile>()
  /** The daemon's HTTP port (0: not listening, so published URLs are empty). */
  port = 0

  add(secret: string, file: PublishedFile): void {
    this.bySecret.set(secret, file)
  }

  remove(secret: string): void {
    this.bySecret.delete(secret)
  }

  get(secret: string): PublishedFile | undefined {
    return this.bySecret.get(secret)
  }

  urlOf(secret: string): string {
    return this.port ? `http://127.0.0.1:${this.port}/stream/${secret}` : ''
  }
}
