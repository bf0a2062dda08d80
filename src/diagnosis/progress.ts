// --wait: folds what happened while the namespace was watched into the final report. Pure.
import type { Progress, Report } from '../model/report.js';
import { clockTime, humanDuration } from '../util/time.js';

export function applyProgress(report: Report, progress: Progress, now: Date): void {
  report.progress = progress;
  const waited = humanDuration(progress.waitedSeconds * 1000);
  const expectedBy = progress.expectedBy ? Date.parse(progress.expectedBy) : undefined;
  const timing =
    expectedBy === undefined
      ? ''
      : progress.late
        ? ` — LATE: expected by ${clockTime(expectedBy, now)}, ${humanDuration((progress.lateBySeconds ?? 0) * 1000)} past that`
        : progress.namespaceGone
          ? ` — on time (expected by ${clockTime(expectedBy, now)})`
          : ` — on track: expected by ${clockTime(expectedBy, now)} (in ${humanDuration(expectedBy - now.getTime())})`;
  if (progress.namespaceGone) {
    // Gone while we watched is the happy ending, not "not found".
    report.verdict = 'NotTerminating';
    report.summary = `namespace ${report.namespace} finished deleting while watched (${waited}; ${progress.objectsBefore} object${progress.objectsBefore === 1 ? " was" : "s were"} left at the start)${timing}`;
  } else if (progress.stalled) {
    report.summary += progress.objectsAfter
      ? ` — no progress in ${waited} (${progress.objectsAfter} objects left)${timing}`
      : ` — nothing left to delete, yet still there after ${waited}${timing}`;
  } else {
    report.summary += ` — ${progress.objectsBefore - progress.objectsAfter} objects went away in ${waited} (${progress.objectsAfter} left)${timing}`;
  }
}
