// Parses the namespace controller's deletion conditions into facts. Wording drifts between releases, so the
// matching is tolerant; the strings matched are those of pkg/controller/namespace/deletion.
import type { Condition } from '../snapshot/types.js';

export const CONDITION_TYPES = [
  'NamespaceDeletionDiscoveryFailure',
  'NamespaceDeletionGroupVersionParsingFailure',
  'NamespaceDeletionContentFailure',
  'NamespaceContentRemaining',
  'NamespaceFinalizersRemaining',
] as const;

export interface DiscoveryFailureFact {
  groupVersion: string;
  error: string;
}

export interface ParsedConditions {
  present: boolean;
  discoveryFailures: DiscoveryFailureFact[];
  parseFailure?: string;
  contentFailure?: string;
  /** Types the controller deleted and still found, none with a finalizer ("unexpected items still remain"). */
  contentNotRemoved: { group: string; version: string; resource: string }[];
  contentRemaining: { resource: string; group: string; count: number }[];
  finalizersRemaining: { finalizer: string; count: number }[];
}

export function parseConditions(conditions: Condition[]): ParsedConditions {
  const byType = new Map(conditions.map((c) => [c.type, c]));
  const isTrue = (type: string) => byType.get(type)?.status === 'True';
  const message = (type: string) => byType.get(type)?.message ?? '';
  return {
    present: CONDITION_TYPES.some((type) => byType.has(type)),
    discoveryFailures: isTrue('NamespaceDeletionDiscoveryFailure') ? parseDiscoveryFailures(message('NamespaceDeletionDiscoveryFailure')) : [],
    ...(isTrue('NamespaceDeletionGroupVersionParsingFailure')
      ? { parseFailure: message('NamespaceDeletionGroupVersionParsingFailure') }
      : {}),
    ...(isTrue('NamespaceDeletionContentFailure') ? { contentFailure: message('NamespaceDeletionContentFailure') } : {}),
    contentNotRemoved: isTrue('NamespaceDeletionContentFailure') ? parseContentNotRemoved(message('NamespaceDeletionContentFailure')) : [],
    contentRemaining: isTrue('NamespaceContentRemaining') ? parseContentRemaining(message('NamespaceContentRemaining')) : [],
    finalizersRemaining: isTrue('NamespaceFinalizersRemaining') ? parseFinalizersRemaining(message('NamespaceFinalizersRemaining')) : [],
  };
}

const GROUP_VERSION_AT = /(^|, |: )([a-z0-9][a-z0-9.-]*\/v[0-9][0-9a-z]*|v[0-9][0-9a-z]*): /g;

/**
 * "Discovery failed for some groups, 1 failing: unable to retrieve the complete list of server APIs:
 *  metrics.k8s.io/v1beta1: stale GroupVersion discovery: metrics.k8s.io/v1beta1"
 * Errors may contain commas, so the text is cut at each "<group>/<version>: " marker, never at ", " alone.
 */
export function parseDiscoveryFailures(text: string): DiscoveryFailureFact[] {
  const anchor = text.indexOf('server APIs:');
  const body = anchor >= 0 ? text.slice(anchor + 'server APIs:'.length).trim() : text;
  const markers = [...body.matchAll(GROUP_VERSION_AT)].map((m) => ({
    groupVersion: m[2] ?? '',
    start: m.index + (m[1] ?? '').length,
    errorStart: m.index + m[0].length,
  }));
  // A group version named inside an error ("stale GroupVersion discovery: x/v1") is not a new entry: entries begin
  // at the start of the list or after ", ".
  const entries = markers.filter((m, i) => i === 0 || body.slice(m.start - 2, m.start) === ', ');
  const failures: DiscoveryFailureFact[] = [];
  entries.forEach((entry, i) => {
    const next = entries[i + 1];
    const end = next ? next.start - 2 : body.length;
    const error = body.slice(entry.errorStart, end).trim().replace(/[\]\s]+$/, '');
    if (!failures.some((f) => f.groupVersion === entry.groupVersion)) failures.push({ groupVersion: entry.groupVersion, error });
  });
  return failures;
}

/**
 * "Failed to delete all resource types, 1 remaining: unexpected items still remain in namespace: ns1 for gvr:
 *  example.com/v1, Resource=widgets": what the controller says when a type's objects are still listed after it
 * deleted them, with no estimate (no pod in grace) and no finalizer on any (deleteAllContentForGroupVersionResource).
 * The group is empty for the core group ("/v1, Resource=pods").
 */
export function parseContentNotRemoved(text: string): { group: string; version: string; resource: string }[] {
  const results: { group: string; version: string; resource: string }[] = [];
  for (const match of text.matchAll(/unexpected items still remain in namespace: \S+ for gvr: ([a-z0-9.-]*)\/([a-z0-9]+), Resource=([a-z0-9-]+)/g)) {
    const [, group = '', version = '', resource = ''] = match;
    if (!results.some((r) => r.group === group && r.resource === resource)) results.push({ group, version, resource });
  }
  return results;
}

/** "Some resources are remaining: pods. has 2 resource instances, widgets.example.com has 1 resource instances" */
export function parseContentRemaining(text: string): { resource: string; group: string; count: number }[] {
  const body = text.replace(/^[^:]*:\s*/, '');
  const results: { resource: string; group: string; count: number }[] = [];
  for (const match of body.matchAll(/([a-z0-9-]+)\.([a-z0-9.-]*) has (\d+) resource instances/g)) {
    results.push({ resource: match[1] ?? '', group: match[2] ?? '', count: Number(match[3]) });
  }
  return results;
}

/** "Some content in the namespace has finalizers remaining: example.com/cleanup in 3 resource instances" */
export function parseFinalizersRemaining(text: string): { finalizer: string; count: number }[] {
  const body = text.replace(/^[^:]*remaining:\s*/, '');
  const results: { finalizer: string; count: number }[] = [];
  for (const match of body.matchAll(/(?:^|, )(\S+) in (\d+) resource instances/g)) {
    results.push({ finalizer: match[1] ?? '', count: Number(match[2]) });
  }
  return results;
}
