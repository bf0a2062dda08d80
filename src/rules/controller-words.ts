// What a controller says about its own work on an object, read from the fields it writes (status.conditions, Warning
// Events): type, status and reason decide; the message is kept as evidence. These are the cluster's words, never ours.
import type { Condition, ObjectEvent } from '../snapshot/types.js';

export type ControllerWord = 'failure' | 'cannot-create-in-terminating-namespace';

/** Condition types that are good news when True (kstatus "normal-true" polarity). */
const HEALTHY_WHEN_TRUE = new Set(['Ready', 'Synced', 'Reconciled', 'Available', 'Healthy', 'Succeeded', 'Valid', 'Complete', 'Deleted', 'Cleaned', 'Finalized']);
/** Condition types that report trouble when True ("abnormal-true"). */
const TROUBLE_WHEN_TRUE = new Set(['Failed', 'Failure', 'Error', 'Errored', 'Degraded', 'Stalled', 'ReconcileError', 'ReconcileFailed', 'DeleteFailed', 'DeletionFailed', 'Blocked']);
/** Reasons that say the controller is still at it (Crossplane writes Ready=False reason=Deleting while it deletes). */
const IN_PROGRESS_REASON = /^(deleting|progressing|reconciling|inprogress|in_progress|pending|creating|updating|waiting|unknown|terminating|available)$/i;
/** Words that controllers and cloud APIs use for a failed call. */
const FAILURE_WORDS = /fail|error|denied|forbidden|unauthori[sz]ed|invalid|refused|timed? ?out|deadline exceeded|not ?found|unavailable|conflict|quota|throttl|backoff|cannot|unable/i;
/**
 * The API server's NamespaceTerminatingCause error (staging/src/k8s.io/apiserver/pkg/admission/plugin/namespace/
 * lifecycle): a controller that must create an object in the dying namespace to finish (Crossplane v2's
 * ProviderConfigUsage) can never finish.
 */
const CANNOT_CREATE = /unable to create new content in namespace \S+ because it is being terminated/i;

export function conditionWord(condition: Condition): ControllerWord | undefined {
  const words = `${condition.reason ?? ''} ${condition.message ?? ''}`;
  if (CANNOT_CREATE.test(words)) return 'cannot-create-in-terminating-namespace';
  if (condition.status === 'True' && (TROUBLE_WHEN_TRUE.has(condition.type) || (!HEALTHY_WHEN_TRUE.has(condition.type) && FAILURE_WORDS.test(condition.type)))) {
    return 'failure';
  }
  if (condition.status === 'False' && HEALTHY_WHEN_TRUE.has(condition.type)) {
    if (condition.reason && IN_PROGRESS_REASON.test(condition.reason)) return undefined;
    if (FAILURE_WORDS.test(words)) return 'failure';
  }
  return undefined;
}

/** A Warning Event whose reason or message reports a failure; Normal Events never do. */
export function eventWord(event: ObjectEvent): ControllerWord | undefined {
  const words = `${event.reason ?? ''} ${event.message ?? ''}`;
  if (CANNOT_CREATE.test(words)) return 'cannot-create-in-terminating-namespace';
  if (event.type === 'Warning' && FAILURE_WORDS.test(words)) return 'failure';
  return undefined;
}

/**
 * RBAC's own refusal ("… is forbidden: User "…" cannot deletecollection resource …"). An admission denial is a 403
 * "is forbidden" too (a ValidatingAdmissionPolicy, a webhook): only these words say the caller lacks a permission.
 */
export function isRbacDenial(message: string): boolean {
  return /is forbidden: User "[^"]*" cannot /.test(message);
}

/** A ValidatingAdmissionPolicy's denial, as the API server words it: the policy, its binding, and its message. */
export function admissionPolicyDenial(message: string): { policy: string; binding: string; reason: string } | undefined {
  const m = /ValidatingAdmissionPolicy '([^']+)' with binding '([^']+)' denied request: (.*)$/s.exec(message);
  return m ? { policy: m[1]!, binding: m[2]!, reason: m[3]!.trim() } : undefined;
}
