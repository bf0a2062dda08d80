// The registry is the one list the planner and --all groups iterate: every blocker id has exactly one check that
// emits it, and every check says where its steps go and why it has none when it has none.
import { describe, expect, it } from 'vitest';
import { CHECKS, checkEmitting } from '../../../src/checks/registry.js';
import type { BlockerId } from '../../../src/model/report.js';
import type { PlanPhase } from '../../../src/model/step-draft.js';

// Spelled out so a new id is a new line here too: the compiler checks this list against BlockerId both ways.
const ALL_IDS = {
  APIServiceUnavailable: true,
  APIServiceOrphaned: true,
  APIServiceBackendInNamespace: true,
  FinalizerOwnerMissing: true,
  FinalizerControllerStalled: true,
  ControllerCannotCreateInTerminatingNamespace: true,
  CRDTerminating: true,
  PodsStuckTerminating: true,
  PVCInUse: true,
  DependentsBlockDeletion: true,
  WebhookBlocksDeletion: true,
  ConversionWebhookDown: true,
  NamespaceFinalizerRemaining: true,
  NamespaceMetadataFinalizerRemaining: true,
  NamespaceControllerNotRunning: true,
  GroupVersionParseFailure: true,
  NamespaceControllerForbidden: true,
  ContentDeletionFailed: true,
} satisfies Record<BlockerId, true>;

const PHASES = {
  'unblock-admission': true,
  'restore-discovery': true,
  'owners-before-dependents': true,
  'finalizers-without-owner': true,
  'finalizers-of-live-controllers': true,
  pods: true,
  'namespace-metadata-finalizers': true,
  'namespace-spec-finalizers': true,
  none: true,
} satisfies Record<PlanPhase, true>;

describe('check registry', () => {
  it.each(Object.keys(ALL_IDS) as BlockerId[])('%s is emitted by exactly one check, which checkEmitting finds', (id) => {
    const emitting = CHECKS.filter((check) => check.emits.includes(id));
    expect(emitting.map((c) => c.id)).toHaveLength(1);
    expect(checkEmitting(id)).toBe(emitting[0]);
  });

  it('every check emits its own id, only known ids, each once, and has a known plan phase', () => {
    for (const check of CHECKS) {
      expect(check.emits).toContain(check.id);
      expect(new Set(check.emits).size).toBe(check.emits.length);
      for (const id of check.emits) expect(Object.keys(ALL_IDS)).toContain(id);
      expect(Object.keys(PHASES)).toContain(check.planPhase);
      expect(typeof check.plan).toBe('function');
    }
  });
});
