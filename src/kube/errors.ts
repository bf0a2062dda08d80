export type ApiFailureKind =
  | 'forbidden'
  | 'unauthorized'
  | 'not-found'
  | 'gone'
  | 'throttled'
  | 'unavailable'
  | 'server-error'
  | 'client-error'
  | 'timeout'
  /** A connection that broke during an exchange (reset, cut short). */
  | 'connection'
  /** No connection could be made at all (refused, no route, no such host). */
  | 'unreachable'
  | 'tls'
  | 'credentials'
  /** A 2xx answer that is not what the API promises (invalid JSON, wrong shape, too large). */
  | 'malformed';

/** Any request that did not give a usable answer. Carries enough to be reported as a gap. */
export class ApiError extends Error {
  constructor(
    readonly kind: ApiFailureKind,
    readonly path: string,
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }

  /** "403 Forbidden: pods is forbidden: User ..." — one line, for gaps and errors. */
  get reason(): string {
    return this.status ? `${this.status} ${this.message}` : this.message;
  }
}

export function kindForStatus(status: number): ApiFailureKind {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not-found';
  if (status === 410) return 'gone';
  if (status === 429) return 'throttled';
  if (status === 503) return 'unavailable';
  if (status >= 500) return 'server-error';
  return 'client-error';
}

export function kindForNetworkError(code: string | undefined): ApiFailureKind {
  if (!code) return 'connection';
  // OpenSSL's verification codes (CERT_HAS_EXPIRED, UNABLE_TO_VERIFY_LEAF_SIGNATURE, …) and Node's TLS errors.
  if (/^(ERR_TLS|ERR_SSL|UNABLE_TO_)|CERT|^HOSTNAME_MISMATCH$|^EPROTO$/.test(code)) return 'tls';
  if (code === 'ETIMEDOUT' || code === 'ESOCKETTIMEDOUT') return 'timeout';
  if (['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL'].includes(code)) return 'unreachable';
  return 'connection';
}
