import type { Gap } from '../model/report.js';
import { ApiError } from '../kube/errors.js';

/** Collects what could not be read. Anything unreadable is a gap, never an empty result. */
export class GapSink {
  readonly gaps: Gap[] = [];

  add(gap: Gap): void {
    if (!this.gaps.some((g) => g.what === gap.what)) this.gaps.push(gap);
  }

  /** Records an API failure as a gap and returns undefined; rethrows anything that is not one. */
  fromError(error: unknown, gap: Omit<Gap, 'reason' | 'httpStatus'>): undefined {
    const failure = asApiFailure(error);
    this.add({ ...gap, reason: failure.reason, ...(failure.status ? { httpStatus: failure.status } : {}) });
    return undefined;
  }
}

/**
 * ApiErrors as they are; a TypeError met while reading an answer means the answer had a shape the API never sends
 * (null where an object belongs, a number for a list): that read is a `malformed` gap, and the rest of the
 * diagnosis goes on. Anything else is a bug and is rethrown.
 */
export function asApiFailure(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof TypeError) return new ApiError('malformed', '', `malformed response: ${error.message}`);
  throw error;
}
