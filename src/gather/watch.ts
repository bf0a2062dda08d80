// --wait: watches a Terminating namespace with one cheap GET every 5 s until it is gone or the wait is over, then
// surveys it again. Progress is measured against the first diagnosis's expectedBy, and lateness is said as it happens.
import type { KubeClient } from '../kube/client.js';
import type { Progress } from '../model/report.js';
import type { Snapshot } from '../snapshot/types.js';
import { clockTime, humanDuration } from '../util/time.js';
import { SnapshotGatherer } from './snapshot.js';

export const POLL_MS = 5_000;
/** How often a still-Terminating namespace gets a line on stderr while watched. */
const REPORT_EVERY_MS = 30_000;

export interface Watched {
  snapshot: Snapshot;
  progress: Progress;
}

export async function watchProgress(
  client: KubeClient,
  first: Snapshot,
  waitMs: number,
  log: (line: string) => void,
  expectedBy?: number,
  noFinishTime = 'no finish time known',
): Promise<Watched> {
  const started = Date.now();
  const name = first.namespaceName;
  const objects = (s: Snapshot) => s.content?.types.reduce((sum, t) => sum + t.count, 0) ?? 0;
  const path = `/api/v1/namespaces/${encodeURIComponent(name)}`;
  const expected = (now: number) =>
    expectedBy === undefined
      ? noFinishTime
      : now <= expectedBy
        ? `expected by ${clockTime(expectedBy, new Date(now))} (in ${humanDuration(expectedBy - now)})`
        : `LATE: expected by ${clockTime(expectedBy, new Date(now))}, ${humanDuration(now - expectedBy)} ago`;
  log(`watching namespace ${name} for up to ${humanDuration(waitMs)}; ${expected(started)}`);
  let gone = false;
  let goneAt = 0;
  let saidLate = false;
  let lastReport = started;
  while (Date.now() - started < waitMs) {
    await new Promise((resolveSleep) => setTimeout(resolveSleep, Math.min(POLL_MS, waitMs - (Date.now() - started))));
    const response = await client.get(path);
    const now = Date.now();
    if (response.status === 404) {
      gone = true;
      goneAt = now;
      break;
    }
    if (expectedBy !== undefined && now > expectedBy && !saidLate) {
      saidLate = true;
      lastReport = now;
      log(`namespace ${name} is late: still Terminating after ${humanDuration(now - started)} of watching; ${expected(now)}`);
    } else if (now - lastReport >= REPORT_EVERY_MS) {
      lastReport = now;
      log(`namespace ${name} still Terminating after ${humanDuration(now - started)} of watching; ${expected(now)}`);
    }
  }
  const end = gone ? goneAt : Date.now();
  if (gone) log(`namespace ${name} is gone after ${humanDuration(end - started)} of watching${expectedBy === undefined ? '' : end <= expectedBy ? ', on time' : `, ${humanDuration(end - expectedBy)} later than expected`}`);
  const last = gone ? { ...first, namespaceFound: false as const, namespace: undefined } : await new SnapshotGatherer(client).gather(name);
  const before = objects(first);
  const after = gone ? 0 : objects(last);
  const late = expectedBy !== undefined && end > expectedBy;
  return {
    snapshot: last,
    progress: {
      waitedSeconds: Math.round((end - started) / 1000),
      objectsBefore: before,
      objectsAfter: after,
      namespaceGone: gone,
      stalled: !gone && after >= before,
      ...(expectedBy !== undefined
        ? { expectedBy: new Date(expectedBy).toISOString(), late, ...(late ? { lateBySeconds: Math.round((end - expectedBy) / 1000) } : {}) }
        : {}),
    },
  };
}
