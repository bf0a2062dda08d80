// @ts-check
// Reads the API server's audit log (JSON lines, Metadata level) and attributes requests to a benchmark user.
import fs from 'node:fs';

export class AuditLog {
  constructor(path) {
    this.path = path;
  }

  size() {
    try {
      return fs.statSync(this.path).size;
    } catch {
      return 0;
    }
  }

  /** Events written since byte offset `from` (the log backend is blocking, so a finished client's events are there). */
  eventsSince(from) {
    const end = this.size();
    if (end <= from) return [];
    const fd = fs.openSync(this.path, 'r');
    try {
      const buf = Buffer.alloc(end - from);
      fs.readSync(fd, buf, 0, buf.length, from);
      return buf
        .toString('utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
        .filter((e) => e.stage === 'ResponseComplete' || e.stage === 'Panic');
    } finally {
      fs.closeSync(fd);
    }
  }
}

// What the API server may answer from its watch cache without asking etcd for anything: resourceVersion=0, or a
// "not older than" read (an explicit match, or a non-zero resourceVersion without limit), and never a continuation.
const CACHE_SAFE_RV = (q) => {
  if (q.has('continue') || !q.has('resourceVersion')) return false;
  if (q.get('resourceVersion') === '0') return true;
  const match = q.get('resourceVersionMatch');
  return match === 'NotOlderThan' || (!match && !q.has('limit'));
};

/** Per-user view of a window of audit events. */
export function attribute(events, username) {
  const mine = events.filter((e) => e.user?.username === username);
  const byVerb = {};
  const byResource = {};
  const lists = [];
  for (const e of mine) {
    byVerb[e.verb] = (byVerb[e.verb] ?? 0) + 1;
    const r = e.objectRef
      ? `${e.verb} ${e.objectRef.apiGroup ? `${e.objectRef.apiGroup}/` : ''}${e.objectRef.resource ?? ''}${e.objectRef.subresource ? `/${e.objectRef.subresource}` : ''}${e.objectRef.namespace ? '' : ' (cluster)'}`
      : `${e.verb} ${e.requestURI.split('?')[0]}`;
    byResource[r] = (byResource[r] ?? 0) + 1;
    if (e.verb !== 'list') continue;
    const u = new URL(e.requestURI, 'https://x');
    lists.push({
      uri: e.requestURI,
      resource: [e.objectRef?.apiGroup || 'core', e.objectRef?.resource].join('/'),
      namespaced: Boolean(e.objectRef?.namespace),
      resourceVersion: u.searchParams.get('resourceVersion'),
      limit: u.searchParams.get('limit'),
      continue: u.searchParams.has('continue'),
      cacheSafe: CACHE_SAFE_RV(u.searchParams),
      code: e.responseStatus?.code,
      latencyMs: Date.parse(e.stageTimestamp) - Date.parse(e.requestReceivedTimestamp),
    });
  }
  const codes = {};
  for (const e of mine) codes[e.responseStatus?.code] = (codes[e.responseStatus?.code] ?? 0) + 1;
  const userAgents = [...new Set(mine.map((e) => e.userAgent))];
  const nonResource = mine.filter((e) => !e.objectRef).length;
  return {
    requests: mine.length,
    byVerb,
    byResource,
    codes,
    nonResource,
    lists: lists.length,
    listsWithoutCacheRV: lists.filter((l) => !l.cacheSafe),
    clusterScopedLists: lists.filter((l) => !l.namespaced),
    listDetail: lists,
    userAgents,
    others: events.length - mine.length,
  };
}
