// Objects as the API server returns them for the recorded scenarios (test/fixtures), for the evidence reads of
// the fix planner. Shapes follow what kube-apiserver 1.34 sent for the same scenarios on the test control plane.
import type { EvidenceRead, EvidenceReads } from '../../../src/fix/evidence.js';
import type { StepDraft } from '../../../src/model/step-draft.js';

let rv = 1000;
export const meta = (name: string, extra: Record<string, unknown> = {}) => ({ name, uid: `uid-${name}`, resourceVersion: String(++rv), ...extra });

export function apiService(name: string, service: { namespace: string; name: string }, available: 'True' | 'False') {
  return {
    apiVersion: 'apiregistration.k8s.io/v1',
    kind: 'APIService',
    metadata: meta(name),
    spec: { service: { ...service, port: 443 } },
    status: { conditions: [{ type: 'Available', status: available, reason: available === 'True' ? 'Passed' : 'ServiceNotFound' }] },
  };
}

export function namespace(name: string, specFinalizers: string[], metadataFinalizers: string[] = []) {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: meta(name, {
      deletionTimestamp: '2026-12-01T09:00:00Z',
      labels: { 'kubernetes.io/metadata.name': name },
      managedFields: [{ manager: 'kubectl' }],
      ...(metadataFinalizers.length ? { finalizers: metadataFinalizers } : {}),
    }),
    spec: { finalizers: specFinalizers },
    status: { phase: 'Terminating' },
  };
}

/** What the reader returns for every path the drafts need: `objects` by path, anything else a 404. */
export function readsFor(drafts: StepDraft[], objects: Record<string, unknown>): EvidenceReads {
  const reads: EvidenceReads = new Map();
  for (const spec of drafts.flatMap((d) => [d.target, ...d.evidence])) {
    const object = objects[spec.path];
    const read: EvidenceRead = object ? { exists: true, object: structuredClone(object) } : { exists: false };
    reads.set(spec.path, read);
  }
  return reads;
}
