// What a blocker is about, as data. Everything that needs to know a blocker's cause — the --all group key and
// headline, the fix planner, metrics labels — reads these fields, never the English a check wrote.

/** Which admission webhook configuration a webhook lives in. */
export type WebhookConfigurationKind = 'ValidatingWebhookConfiguration' | 'MutatingWebhookConfiguration';

/** Why the namespace controller as a whole cannot do its work (cluster-wide, shared by every namespace). */
/** NotRunning: it never acted; StoppedActing: it passed over the namespace once and its next pass is overdue. */
export type NamespaceControllerProblem = 'NotRunning' | 'StoppedActing' | 'Forbidden' | 'GroupVersionParsing';

export type Subject =
  /** An aggregated API registered by this APIService fails discovery. */
  | { kind: 'APIService'; name: string; groupVersion: string }
  /** A group version fails discovery and no APIService for it could be read. */
  | { kind: 'GroupVersion'; groupVersion: string }
  /** Objects of one type wait on one finalizer. `group` is '' for the core group. */
  | { kind: 'Finalizer'; finalizer: string; group: string; resource: string }
  /** A CRD being deleted waits for its instances. */
  | { kind: 'CustomResourceDefinition'; name: string }
  /** Pods past their grace period, on these nodes (sorted; empty when the pods have no node). */
  | { kind: 'Nodes'; names: string[] }
  /** One admission webhook of one configuration. */
  | { kind: 'Webhook'; configurationKind: WebhookConfigurationKind; configuration: string; webhook: string }
  /** The conversion webhook of a CRD. */
  | { kind: 'ConversionWebhook'; crd: string }
  /** Tokens left on the namespace itself (sorted). The same foreign token in many namespaces is one cause. */
  | { kind: 'NamespaceFinalizers'; field: 'spec' | 'metadata'; finalizers: string[] }
  | { kind: 'NamespaceController'; problem: NamespaceControllerProblem }
  /** Claims in one namespace that pods still use (sorted names). */
  | { kind: 'PersistentVolumeClaims'; namespace: string; names: string[] }
  /** Owners in one namespace that wait on their dependents (sorted `Kind/name`). */
  | { kind: 'Owners'; namespace: string; names: string[] }
  /** Objects of one type that the API serving them keeps listing after the namespace controller deleted them. */
  | { kind: 'ResourceType'; group: string; version: string; resource: string }
  /** A failure the namespace controller reports for one namespace's content and nothing more specific explains. */
  | { kind: 'NamespaceContent'; namespace: string };

export type SubjectKind = Subject['kind'];

/** `resource.group`, or `resource` for the core group: how kubectl names a type. */
export function typeName(resource: string, group: string): string {
  return group ? `${resource}.${group}` : resource;
}

/**
 * A stable key: the same cause gives the same key in every namespace and every run (the --all group key, a metrics
 * label). The formats documented in the README (`APIService/…`, `Finalizer/<finalizer>/<resource.group>`,
 * `PodsOnNodes/…`) are kept.
 */
export function subjectKey(subject: Subject): string {
  switch (subject.kind) {
    case 'APIService':
      return `APIService/${subject.name}`;
    case 'GroupVersion':
      return `GroupVersion/${subject.groupVersion}`;
    case 'Finalizer':
      return `Finalizer/${subject.finalizer}/${typeName(subject.resource, subject.group)}`;
    case 'CustomResourceDefinition':
      return `CRD/${subject.name}`;
    case 'Nodes':
      return subject.names.length ? `PodsOnNodes/${subject.names.join(',')}` : 'PodsOnNodes/-';
    case 'Webhook':
      return `Webhook/${subject.configurationKind}/${subject.configuration}/${subject.webhook}`;
    case 'ConversionWebhook':
      return `ConversionWebhook/${subject.crd}`;
    case 'NamespaceFinalizers':
      return `NamespaceFinalizers/${subject.field}/${subject.finalizers.join(',')}`;
    case 'NamespaceController':
      return `NamespaceController/${subject.problem}`;
    case 'PersistentVolumeClaims':
      return `PVCs/${subject.namespace}/${subject.names.join(',')}`;
    case 'Owners':
      return `Owners/${subject.namespace}/${subject.names.join(',')}`;
    case 'ResourceType':
      return `ResourceType/${typeName(subject.resource, subject.group)}`;
    case 'NamespaceContent':
      return `NamespaceContent/${subject.namespace}`;
  }
}

/** A short name for the cause, as in the --all CAUSE column. */
export function subjectLabel(subject: Subject): string {
  switch (subject.kind) {
    case 'APIService':
      return `APIService ${subject.name}`;
    case 'GroupVersion':
      return `API ${subject.groupVersion}`;
    case 'Finalizer':
      return `finalizer ${subject.finalizer}`;
    case 'CustomResourceDefinition':
      return `CRD ${subject.name} deleted`;
    case 'Nodes':
      return subject.names.length ? `pods on ${subject.names.join(', ')}` : 'pods stuck Terminating';
    case 'Webhook':
      return `webhook ${subject.webhook}`;
    case 'ConversionWebhook':
      return `conversion webhook of ${subject.crd}`;
    case 'NamespaceFinalizers':
      return `namespace ${subject.field}.finalizers ${subject.finalizers.join(', ')}`;
    case 'NamespaceController':
      return {
        NotRunning: 'namespace controller down',
        StoppedActing: 'namespace controller stopped acting',
        Forbidden: 'namespace controller forbidden',
        GroupVersionParsing: 'group version parse failure',
      }[subject.problem];
    case 'PersistentVolumeClaims':
      return `PVCs in use: ${subject.names.join(', ')}`;
    case 'Owners':
      return `owners wait on dependents: ${subject.names.join(', ')}`;
    case 'ResourceType':
      return `${typeName(subject.resource, subject.group)} not removed`;
    case 'NamespaceContent':
      return `content deletion fails in ${subject.namespace}`;
  }
}
