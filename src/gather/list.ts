import { ACCEPT, PRIORITY, errorFromResponse, isResourceVersionTooLarge, parseObject, type KubeClient } from '../kube/client.js';
import { ApiError } from '../kube/errors.js';

export const PAGE_SIZE = 500;

export interface ListPage<T> {
  kind?: string;
  items: T[];
  metadata?: { continue?: string; resourceVersion?: string; remainingItemCount?: number };
}

export interface ListOptions {
  /** Any resourceVersion the server has reached (e.g. the namespace's): lets the watch cache serve a paginated list. */
  notOlderThan?: string;
  labelSelector?: string;
  fieldSelector?: string;
  metadataOnly?: boolean;
  pageSize?: number;
  /** Queue priority of the first page; later pages always go at normal priority, ahead of bulk work. */
  priority?: number;
}

/**
 * Lists page by page and hands each page to `onPage`, so callers keep counts, not objects: memory stays flat however
 * big the collection is. With `notOlderThan` the first page (and, on 1.34+ servers, every page) is served from the
 * API server's watch cache instead of a quorum read from etcd; resourceVersion=0 would be cached too but ignores
 * `limit`, returning everything in one response.
 */
export async function listPaged<T>(
  client: KubeClient,
  collectionPath: string,
  options: ListOptions,
  onPage: (items: T[], page: ListPage<T>) => void,
): Promise<void> {
  let continueToken: string | undefined;
  let fromCache = Boolean(options.notOlderThan);
  for (;;) {
    const query = new URLSearchParams();
    query.set('limit', String(options.pageSize ?? PAGE_SIZE));
    if (options.labelSelector) query.set('labelSelector', options.labelSelector);
    if (options.fieldSelector) query.set('fieldSelector', options.fieldSelector);
    if (continueToken) {
      query.set('continue', continueToken);
    } else if (options.notOlderThan && fromCache) {
      query.set('resourceVersion', options.notOlderThan);
      query.set('resourceVersionMatch', 'NotOlderThan');
    }
    const path = `${collectionPath}?${query}`;
    const priority = continueToken ? PRIORITY.normal : (options.priority ?? PRIORITY.normal);
    const response = await client.get(path, options.metadataOnly ? ACCEPT.metadataList : ACCEPT.json, priority);
    // The continue token expired (compaction): the caller starts over from a fresh first page.
    if (response.status === 410 && continueToken) throw new ListRestartedError(collectionPath);
    // The type's watch cache cannot serve that resourceVersion (client.ts, isResourceVersionTooLarge): one read from
    // etcd instead, which also answers with the real error when the type cannot be listed at all.
    if (!continueToken && fromCache && isResourceVersionTooLarge(response.status, response.body)) {
      fromCache = false;
      continue;
    }
    if (response.status !== 200) throw errorFromResponse(path, response);
    const page = parseObject<ListPage<T>>(path, response.body);
    if (options.metadataOnly && page.kind !== 'PartialObjectMetadataList') {
      throw new ApiError('server-error', path, 'the server did not answer metadata-only; refusing to read full objects', response.status);
    }
    onPage(itemsOf(path, page), page);
    const next = page.metadata?.continue;
    continueToken = typeof next === 'string' && next ? next : undefined;
    if (!continueToken) return;
  }
}

/** Every item of a list is an object with metadata and a name: the one shape all of gather relies on. */
function itemsOf<T>(path: string, page: ListPage<T>): T[] {
  const items: unknown = page.items ?? [];
  if (!Array.isArray(items)) throw new ApiError('malformed', path, 'malformed response: items is not a list');
  for (const [index, item] of items.entries()) {
    const metadata = (item as { metadata?: { name?: unknown } } | null)?.metadata;
    if (!metadata || typeof metadata !== 'object' || typeof metadata.name !== 'string') {
      throw new ApiError('malformed', path, `malformed response: items[${index}] has no metadata.name`);
    }
  }
  return items as T[];
}

/** The list must be redone from scratch because its continue token expired; callers reset their counters. */
export class ListRestartedError extends Error {
  constructor(readonly collectionPath: string) {
    super(`list of ${collectionPath} restarted after an expired continue token`);
  }
}

/** Runs listPaged, resetting the caller's state and starting over once if the continue token expires. */
export async function listAll<T>(
  client: KubeClient,
  collectionPath: string,
  options: ListOptions,
  reset: () => void,
  onPage: (items: T[], page: ListPage<T>) => void,
): Promise<void> {
  try {
    await listPaged(client, collectionPath, options, onPage);
    return;
  } catch (error) {
    if (!(error instanceof ListRestartedError)) throw error;
  }
  reset();
  try {
    await listPaged(client, collectionPath, options, onPage);
  } catch (error) {
    if (error instanceof ListRestartedError) throw new ApiError('gone', collectionPath, 'continue token expired twice', 410);
    throw error;
  }
}

export function collectionPath(group: string, version: string, resource: string, namespace?: string): string {
  const base = group ? `/apis/${group}/${version}` : `/api/${version}`;
  return namespace ? `${base}/namespaces/${encodeURIComponent(namespace)}/${resource}` : `${base}/${resource}`;
}

/** Convenience for small lists (cluster config objects): collects every item. */
export async function listItems<T>(client: KubeClient, path: string, options: ListOptions = {}): Promise<T[]> {
  let items: T[] = [];
  await listAll<T>(
    client,
    path,
    options,
    () => (items = []),
    (page) => items.push(...page),
  );
  return items;
}
