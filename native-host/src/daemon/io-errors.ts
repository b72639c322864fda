import { IoError, type IoErrorCode } from '@tidepool/engine'

const ERRNO_CODES: Record<string, IoErrorCode> = {
  ECONNREFUSED: 'refused',
  ETIMEDOUT: 'timeout',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  ENOTFOUND: 'unreachable',
  EAI_AGAIN: 'unreachable',
  EAI_FAIL: 'unreachable',
  EADDRNOTAVAIL: 'unreachable',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  EADDRINUSE: 'in-use',
  ENOSPC: 'no-space',
  EDQUOT: 'no-space',
  EACCES: 'access',
  EPERM: 'access',
  EROFS: 'access',
  ENOENT: 'not-found',
  EEXIST: 'exists',
  ENOTEMPTY: 'exists',
  EINVAL: 'invalid',
  ENOTDIR: 'invalid',
  EISDIR: 'invalid',
  EBADF: 'closed',
  ERR_OUT_OF_RANGE: 'invalid',
  ERR_INVALID_ARG_TYPE: 'invalid',
  ERR_INVALID_ARG_VALUE: 'invalid',
  ERR_SOCKET_BAD_PORT: 'invalid',
  ELOOP: 'bad-path', // O_NOFOLLOW met a symlink as the last component
  ENXIO: 'invalid', // a FIFO or device opened non-blocking
}

/** Any thrown value → IoError with a protocol code (docs/daemon-protocol.md §6). */
export function toIoError(err: unknown): IoError {
  if (err instanceof IoError) return err
  const e = err as { code?: string; message?: string }
  const code =
    (e && typeof e.code === 'string' && ERRNO_CODES[e.code]) ||
    (e?.code?.startsWith('ERR_TLS') || e?.code?.includes('CERT') ? 'access' : 'io')
  return new IoError(code, e?.message ?? String(err))
}
