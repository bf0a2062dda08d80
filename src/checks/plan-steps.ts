// The building blocks of the steps checks propose (src/model/step-draft.ts): where an object is read, what it must
// still show, and the few steps several causes share. Pure: the fix command reads the evidence and writes.
import type { Blocker, FixSafety, ObjectRef } from '../model/report.js';
import type { Candidate, CausePlan, EvidenceSpec, StepDraft } from '../model/step-draft.js';
import type { ControllerCandidate, ObjectSample, ServiceRef, Snapshot } from '../snapshot/types.js';
import { finalizerOwner } from '../rules/deadlines.js';
import { typeName as typeNameOf } from '../model/subject.js';
import type { Check } from './types.js';

/** No mechanical step for this blocker, and why (shown in the plan's "not fixed" list). */
export function noStep(reason: string): CausePlan {
  return { options: [], reason };
}

/** A cause `fix` never writes for (its diagnosis' fixes are for a person): no phase, and why there is no step. */
export function manualOnly(reason = 'no mechanical fix: see the fixes in the diagnosis'): Pick<Check, 'planPhase' | 'plan'> {
  return { planPhase: 'none', plan: () => noStep(reason) };
}

/** One way to clear the blocker, all its steps at one safety level. */
export function oneOption(safety: FixSafety, steps: StepDraft[]): CausePlan {
  const option: Candidate = { safety, steps };
  return { options: [option], reason: '' };
}

export function step(
  blocker: Blocker,
  namespace: string,
  safety: FixSafety,
  description: string,
  cost: string,
  target: EvidenceSpec,
  evidence: EvidenceSpec[],
  action: StepDraft['action'],
  kubectlType: string,
): StepDraft {
  return { blockerId: blocker.id, namespace, safety, description, cost, target, evidence, action, kubectlType };
}

/** A last-resort change to the namespace object itself, relying on it being deleted with the finalizers named. */
export function lastResortOnNamespace(
  blocker: Blocker,
  ns: string,
  description: string,
  cost: string,
  presentFacts: string[],
  action: StepDraft['action'],
  alsoExpect: Record<string, string> = {},
): CausePlan {
  const expect: Record<string, string> = { deleting: 'true', ...Object.fromEntries(presentFacts.map((f) => [f, 'present'])), ...alsoExpect };
  const target = namespaceEvidence(ns, expect);
  return oneOption('last-resort', [step(blocker, ns, 'last-resort', description, cost, target, [], action, 'namespace')]);
}

/**
 * The last-resort step of every "a controller will not remove this custom finalizer" cause (FinalizerOwnerMissing,
 * FinalizerControllerStalled, ControllerCannotCreateInTerminatingNamespace): remove the finalizer from every object
 * of the type that holds it. One step for the whole cause; each object still gets its own request and preconditions
 * when applied. An owner proven missing is read again right before the write.
 */
export function removeCustomFinalizer(blocker: Blocker, snapshot: Snapshot, why: string, ownerMustBeMissing: boolean): CausePlan {
  const ns = snapshot.namespaceName;
  const subject = blocker.subject;
  if (subject.kind !== 'Finalizer') return noStep('the objects could not be identified');
  const { finalizer } = subject;
  const samples = (snapshot.content?.stuck ?? []).filter(
    (s) => s.group === subject.group && s.resource === subject.resource && s.meta.deletionTimestamp && s.meta.finalizers?.includes(finalizer),
  );
  const first = samples[0];
  if (!first) {
    const pending = (snapshot.content?.stuck ?? []).some((s) => s.group === subject.group && s.resource === subject.resource && !s.meta.deletionTimestamp && s.meta.finalizers?.includes(finalizer));
    return noStep(pending ? 'not deleted yet: nothing to remove until the namespace controller deletes them (after the pods); plan again then' : 'the objects could not be identified');
  }
  const owner = finalizerOwner(snapshot, finalizer, first.group, first.resource);
  if (ownerMustBeMissing && owner.state !== 'missing') return noStep('whether a controller still owns the finalizer is not proven: nothing is removed');
  // The catalog's cost when it knows the finalizer (what leaks where), as the finding says it.
  const cost = blocker.fixes.find((f) => f.safety === 'last-resort')?.cost ?? 'the cleanup that finalizer guards never runs: external resources (cloud disks, DNS records, …) may leak';
  const total = Math.max(samples.length, countWithFinalizer(snapshot, first, finalizer));
  const typeLabel = typeName(first);
  const batch = total > 1 ? { list: collectionOf(ns, first), finalizer, objects: total } : undefined;
  const description = batch
    ? `remove finalizer ${finalizer} from all ${total} ${typeLabel} being deleted in ${ns} (${first.kind} ${first.meta.name} shown; each object gets its own request): ${why}`
    : `remove finalizer ${finalizer} from ${first.kind} ${ns}/${first.meta.name}: ${why}`;
  const draft = step(
    blocker,
    ns,
    'last-resort',
    description,
    cost,
    contentEvidence(ns, first, { deleting: 'true', [`finalizer:${finalizer}`]: 'present' }),
    owner.state === 'missing' ? ownerAbsence(owner.candidates, owner.known?.workloads.map((w) => w.selector) ?? []) : [],
    { type: 'remove-finalizers', finalizers: [finalizer] },
    typeLabel,
  );
  return oneOption('last-resort', [{ ...draft, ...(batch ? { batch } : {}) }]);
}

/** How many objects of the sample's type the survey counted with this finalizer (the diagnosis samples at most 50). */
export function countWithFinalizer(snapshot: Snapshot, sample: ObjectSample, finalizer: string): number {
  return snapshot.content?.types.find((t) => t.group === sample.group && t.resource === sample.resource)?.finalizers[finalizer] ?? 0;
}

export function namespaceEvidence(ns: string, expect: Record<string, string>): EvidenceSpec {
  return { ref: { kind: 'Namespace', name: ns }, path: `/api/v1/namespaces/${seg(ns)}`, expect: { exists: 'true', ...expect } };
}

/** An object of the namespace's content (`ns`: the namespace being diagnosed, where every sample was listed). */
export function contentEvidence(ns: string, sample: ObjectSample, expect: Record<string, string>): EvidenceSpec {
  const ref: ObjectRef = { kind: sample.kind, name: sample.meta.name, namespace: ns, apiVersion: apiVersionOf(sample) };
  return {
    ref,
    path: `${collectionOf(ns, sample)}/${seg(sample.meta.name)}`,
    metadataOnly: true,
    expect: { exists: 'true', ...expect },
  };
}

/** A webhook's backend as down: its Service absent, or (the Service there) no ready endpoint. */
export function backendEvidence(snapshot: Snapshot, { namespace, name }: ServiceRef): EvidenceSpec {
  const service = snapshot.services[`${namespace}/${name}`];
  if (service && !service.exists) {
    return { ref: { kind: 'Service', namespace, name }, path: `/api/v1/namespaces/${seg(namespace)}/services/${seg(name)}`, expect: { exists: 'false' } };
  }
  return {
    ref: { kind: 'EndpointSliceList', namespace, name: `kubernetes.io/service-name=${name}`, apiVersion: 'discovery.k8s.io/v1' },
    path: `/apis/discovery.k8s.io/v1/namespaces/${seg(namespace)}/endpointslices?labelSelector=${encodeURIComponent(`kubernetes.io/service-name=${name}`)}`,
    expect: { 'endpoints.ready': '0' },
  };
}

/**
 * What "no running controller" rests on, read again right before the write: every ServiceAccount RBAC lets remove
 * the finalizer still has no ready pod, and no ready pod carries the labels the finalizer catalog gives its owner.
 * (No RBAC candidate at all is re-checked when the whole plan is made again at apply time.)
 */
export function ownerAbsence(candidates: ControllerCandidate[], catalogSelectors: string[]): EvidenceSpec[] {
  const byServiceAccount = candidates.map(({ serviceAccount: sa }) => ({
    ref: { kind: 'PodList', namespace: sa.namespace, name: `serviceAccountName=${sa.name}` },
    path: `/api/v1/namespaces/${seg(sa.namespace)}/pods?fieldSelector=${encodeURIComponent(`spec.serviceAccountName=${sa.name}`)}`,
    expect: { 'pods.ready': '0' },
  }));
  // Where the finalizer catalog says its owner runs (well-known labels, cluster-wide): a controller installed or
  // scaled up meanwhile makes the step stop, as the diagnosis would have called it live.
  const byCatalogLabels = catalogSelectors.map((selector) => ({
    ref: { kind: 'PodList', name: `labelSelector=${selector}` },
    path: `/api/v1/pods?labelSelector=${encodeURIComponent(selector)}`,
    expect: { 'pods.ready': '0' },
  }));
  return [...byServiceAccount, ...byCatalogLabels];
}

/** The collection of the sample's type in namespace `ns`: what a batch step lists at apply time. */
export function collectionOf(ns: string, sample: ObjectSample): string {
  const base = sample.group ? `/apis/${seg(sample.group)}/${seg(sample.version)}` : `/api/${seg(sample.version)}`;
  return `${base}/namespaces/${seg(ns)}/${seg(sample.resource)}`;
}

/** The sample's own path, in its own namespace or, cluster-scoped, in none. */
export function objectPathOf(sample: ObjectSample): string {
  const base = sample.group ? `/apis/${seg(sample.group)}/${seg(sample.version)}` : `/api/${seg(sample.version)}`;
  const ns = sample.meta.namespace;
  return `${base}${ns ? `/namespaces/${seg(ns)}` : ''}/${seg(sample.resource)}/${seg(sample.meta.name)}`;
}

function apiVersionOf(sample: ObjectSample): string {
  return sample.group ? `${sample.group}/${sample.version}` : sample.version;
}

/** The sample's type in kubectl terms: configmaps, databasebackups.example.com. */
export function typeName(sample: ObjectSample): string {
  return typeNameOf(sample.resource, sample.group);
}

/** One URL path segment. */
export function seg(value: string): string {
  return encodeURIComponent(value);
}
