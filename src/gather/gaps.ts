import type { Gap } from '../model/report.js';
import { ApiError } from '../kube/errors.js';

/** Collects what could not be read. Anything unreadable is a gap, never an empty result. */
export class GapSink {
  readonly gaps: Gap[] = [];

  add(gap: Gap): void {
    if (!this.gaps.some((g) => g.what === gap.what)) this.gaps.push(gap);
  }

  /** Records an ApiError as a gap and returns undefined; rethrows anything that is not an API failure. */
  fromError(error: unknown, what: string, impact?: string): undefined {
    if (!(error instanceof ApiError)) throw error;
    this.add({ what, reason: error.reason, ...(error.status ? { httpStatus: error.status } : {}), ...(impact ? { impact } : {}) });
    return undefined;
  }
}
