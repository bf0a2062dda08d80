// Every root cause ns-doctor knows. Adding one means adding its file (which declares its ids in BlockerIds and exports a
// `… satisfies Check`) and giving it its place in this list.
import { apiServiceUnavailable } from './apiservice-unavailable.js';
import { contentDeletionFailed } from './content-deletion-failed.js';
import { groupVersionParseFailure } from './group-version-parse-failure.js';
import { namespaceControllerForbidden } from './namespace-controller-forbidden.js';
import { namespaceControllerNotRunning } from './namespace-controller-not-running.js';
import { conversionWebhookDown } from './conversion-webhook-down.js';
import { crdTerminating } from './crd-terminating.js';
import { dependentsBlockDeletion } from './dependents-block-deletion.js';
import { finalizerControllerStalled } from './finalizer-controller-stalled.js';
import { finalizerOwnerMissing } from './finalizer-owner-missing.js';
import { namespaceFinalizerRemaining } from './namespace-finalizer-remaining.js';
import { namespaceMetadataFinalizerRemaining } from './namespace-metadata-finalizer-remaining.js';
import { podsStuckTerminating } from './pods-stuck-terminating.js';
import { pvcInUse } from './pvc-in-use.js';
import type { Check } from './types.js';
import type { BlockerId } from '../model/report.js';
import { webhookBlocksDeletion } from './webhook-blocks-deletion.js';

/** Ordered by how early in a deletion they bite: what stops the controller itself comes first. */
const REGISTERED = [
  namespaceControllerNotRunning,
  groupVersionParseFailure,
  apiServiceUnavailable,
  namespaceControllerForbidden,
  webhookBlocksDeletion,
  conversionWebhookDown,
  finalizerOwnerMissing,
  finalizerControllerStalled,
  crdTerminating,
  podsStuckTerminating,
  pvcInUse,
  dependentsBlockDeletion,
  contentDeletionFailed,
  namespaceFinalizerRemaining,
  namespaceMetadataFinalizerRemaining,
] as const;

export const CHECKS: readonly Check[] = REGISTERED;

/**
 * Every blocker id has a registered check that emits it: an id a check file declares (BlockerIds, src/model/report.ts)
 * while the check is not listed above fails to compile here, naming it. (That no id has two is test/unit/checks/registry.test.ts.)
 */
type Emitted = (typeof REGISTERED)[number]['emits'][number];
// Exported only so the compiler keeps the assertion.
export const idsWithoutCheck: Record<Exclude<BlockerId, Emitted>, never> = {};

/** The check that reports this blocker id (every id is declared in exactly one check's `emits`, see above). */
export function checkEmitting(id: BlockerId): Check | undefined {
  return CHECKS.find((check) => check.emits.includes(id));
}
