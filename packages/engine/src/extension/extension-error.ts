/** A peer sent an extension message we cannot accept; the wire owner decides whether to disconnect. */
export class ExtensionError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ExtensionError'
  }
}
