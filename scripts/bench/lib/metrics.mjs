// @ts-check
// Scrapes the API server's /metrics and computes per-series deltas between two scrapes.

const FAMILIES = [
  'apiserver_request_total',
  'apiserver_response_sizes_sum',
  'apiserver_response_sizes_count',
  'apiserver_storage_list_total',
  'apiserver_storage_list_fetched_objects_total',
  'apiserver_storage_list_returned_objects_total',
  'apiserver_cache_list_total',
  'apiserver_cache_list_fetched_objects_total',
  'apiserver_cache_list_returned_objects_total',
  'etcd_requests_total',
  'apiserver_watch_cache_initializations_total',
  'apiserver_watch_cache_consistent_read_total',
  'apiserver_storage_consistency_checks_total',
];

export function parseMetrics(text) {
  const series = new Map();
  for (const line of text.split('\n')) {
    if (!line || line[0] === '#') continue;
    const brace = line.indexOf('{');
    const space = line.lastIndexOf(' ');
    const name = brace >= 0 ? line.slice(0, brace) : line.slice(0, space);
    if (!FAMILIES.includes(name)) continue;
    const labels = {};
    if (brace >= 0) {
      const body = line.slice(brace + 1, line.lastIndexOf('}'));
      for (const m of body.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[m[1]] = m[2];
    }
    const key = brace >= 0 ? line.slice(0, line.lastIndexOf('}') + 1) : name;
    series.set(key, { name, labels, value: Number(line.slice(space + 1)) });
  }
  return series;
}

export async function scrape(client) {
  const r = await client.request('GET', '/metrics', undefined, { accept: 'text/plain' });
  if (r.status !== 200) throw new Error(`GET /metrics: HTTP ${r.status}`);
  return parseMetrics(r.text);
}

export function delta(before, after) {
  const out = [];
  for (const [key, s] of after) {
    const d = s.value - (before.get(key)?.value ?? 0);
    if (d !== 0) out.push({ ...s, value: d });
  }
  return out;
}

/** @type {(rows: any[], name: string, pred?: (labels: Record<string, string>) => boolean) => number} */
const sum = (rows, name, pred = () => true) =>
  rows.filter((r) => r.name === name && pred(r.labels)).reduce((a, r) => a + r.value, 0);

const groupBy = (rows, name, keyFn) => {
  const m = {};
  for (const r of rows.filter((x) => x.name === name)) {
    const k = keyFn(r.labels);
    m[k] = (m[k] ?? 0) + r.value;
  }
  return m;
};

// "listWithCount" is the storage layer's Stats(): the server's own periodic object count for API Priority and
// Fairness, never a LIST answered to a client; it lands in any window that spans its tick, so it is counted apart.
const isEtcdList = (l) => l.operation === 'list';
const isEtcdCount = (l) => l.operation === 'listWithCount';

/** Summarises a delta: what the server says it served in the window. */
export function summarize(rows) {
  return {
    requests: sum(rows, 'apiserver_request_total'),
    requestsByVerb: groupBy(rows, 'apiserver_request_total', (l) => l.verb),
    lists: sum(rows, 'apiserver_request_total', (l) => l.verb === 'LIST'),
    responseBytes: sum(rows, 'apiserver_response_sizes_sum'),
    responseBytesByResource: groupBy(rows, 'apiserver_response_sizes_sum', (l) => `${l.verb} ${l.group ? `${l.group}/` : ''}${l.resource}${l.subresource ? `/${l.subresource}` : ''}`),
    sizedResponses: sum(rows, 'apiserver_response_sizes_count'),
    // A LIST that reached etcd shows up as an etcd "list" operation. apiserver_storage_list_total alone is not that:
    // a consistent LIST (no resourceVersion) is counted there too, although 1.34 serves it from the watch cache
    // after one cheap etcd "get" of the current revision.
    etcdLists: sum(rows, 'etcd_requests_total', isEtcdList),
    etcdListsByResource: groupBy(rows.filter((r) => isEtcdList(r.labels)), 'etcd_requests_total', (l) => l.resource ?? l.type),
    etcdCounts: sum(rows, 'etcd_requests_total', isEtcdCount),
    // A watch cache (re)initializing relists from etcd, and meanwhile paginated LISTs go to etcd: the server's doing.
    watchCacheInitializations: groupBy(rows, 'apiserver_watch_cache_initializations_total', (l) => l.resource),
    // The server's own cache consistency checker lists each resource from etcd every few minutes (1.34, measured on
    // an idle control plane: one etcd list per check, nothing else): those are not the contender's.
    consistencyChecksByResource: groupBy(rows, 'apiserver_storage_consistency_checks_total', (l) => l.resource),
    consistentReadFallbacks: sum(rows, 'apiserver_watch_cache_consistent_read_total', (l) => l.fallback === 'true'),
    etcdListedObjects: sum(rows, 'apiserver_storage_list_fetched_objects_total'),
    consistentReads: sum(rows, 'apiserver_storage_list_total') - sum(rows, 'etcd_requests_total', isEtcdList),
    cacheLists: sum(rows, 'apiserver_cache_list_total'),
    cacheFetchedObjects: sum(rows, 'apiserver_cache_list_fetched_objects_total'),
    etcdRequestsByOperation: groupBy(rows, 'etcd_requests_total', (l) => l.operation),
  };
}
