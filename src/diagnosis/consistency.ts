// The namespace controller's own conditions and the survey must agree. When the controller says content remains
// that the live lists do not show (a type, or objects holding a finalizer), something was not seen: discovery that
// hid a type, a list that came back short. That disagreement is a gap (`inconsistent`), so the verdict cannot be
// Progressing on a survey that missed what the controller is waiting for.
import type { Gap } from '../model/report.js';
import type { ParsedConditions } from '../rules/conditions.js';
import type { Snapshot } from '../snapshot/types.js';

/**
 * Types served under two groups that are the same stored objects: the namespace controller counts them under both,
 * the survey lists them once (under the core group), so one seen is the other seen (findings C7).
 */
const SAME_OBJECTS = new Map([['events.k8s.io/events', '/events']]);

export function inconsistencies(snapshot: Snapshot, conditions: ParsedConditions): Gap[] {
  const content = snapshot.content;
  const types = content?.types ?? [];
  const unknown = new Set([
    ...(content?.unlisted ?? []).map((t) => `${t.group}/${t.resource}`),
    ...snapshot.gaps.filter((g) => g.kind === 'content' && g.resource && !g.object).map((g) => g.resource ?? ''),
  ]);
  const gaps: Gap[] = [];
  for (const reported of conditions.contentRemaining) {
    const label = reported.group ? `${reported.resource}.${reported.group}` : reported.resource;
    // A list that failed is already a gap of its own.
    if (unknown.has(`${reported.group}/${reported.resource}`) || unknown.has(label)) continue;
    const twin = SAME_OBJECTS.get(`${reported.group}/${reported.resource}`);
    const seen = types.filter((t) => `${t.group}/${t.resource}` === `${reported.group}/${reported.resource}` || `${t.group}/${t.resource}` === twin).reduce((sum, t) => sum + t.count, 0);
    if (seen > 0) continue;
    gaps.push({
      kind: 'inconsistent',
      what: `${label} remaining per the namespace controller`,
      reason: `NamespaceContentRemaining reports ${reported.count} ${label} in the namespace; the survey found none${discoveryNote(snapshot, reported)}`,
      resource: label,
      impact: 'what the namespace controller is waiting for was not seen: the diagnosis may miss it',
    });
  }
  const finalizersSeen = new Set(types.flatMap((t) => Object.keys(t.finalizers)));
  for (const reported of conditions.finalizersRemaining) {
    if (finalizersSeen.has(reported.finalizer) || unknown.size > 0) continue;
    gaps.push({
      kind: 'inconsistent',
      what: `objects with finalizer ${reported.finalizer} per the namespace controller`,
      reason: `NamespaceFinalizersRemaining reports ${reported.finalizer} in ${reported.count} resource instances; the survey found no object holding it`,
      impact: 'what holds the namespace was not seen: the diagnosis may miss it',
    });
  }
  return gaps;
}

function discoveryNote(snapshot: Snapshot, reported: { group: string; resource: string }): string {
  if (!snapshot.discovery || snapshot.discovery.mode === 'unavailable') return ' (discovery could not be read)';
  const listed = snapshot.discovery.namespacedResources.some((r) => r.group === reported.group && r.resource === reported.resource);
  return listed ? '' : ' (discovery does not list this type)';
}
