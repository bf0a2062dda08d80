// From diagnosis to plan: a pure function of the reports and the snapshots they came from. Each blocker's check
// says whether it has a mechanical fix, what exactly each step changes and which facts it relies on (Check.plan);
// this orders the steps and picks what --allow permits. It reads nothing and writes nothing: evidence.ts reads the
// evidence, apply.ts is the only code that writes.
import type { Blocker, BlockerId, FixSafety, Report } from '../model/report.js';
import type { ManualItem, PlanWarning } from '../model/plan.js';
import type { Candidate, PlanPhase, StepDraft } from '../model/step-draft.js';
import type { Snapshot } from '../snapshot/types.js';
import { checkEmitting } from '../checks/registry.js';
import { noStep } from '../checks/plan-steps.js';
import { sh } from '../util/shell.js';

export const SAFETY_ORDER: readonly FixSafety[] = ['safe', 'caution', 'last-resort'];

export function allows(allow: FixSafety, safety: FixSafety): boolean {
  return SAFETY_ORDER.indexOf(safety) <= SAFETY_ORDER.indexOf(allow);
}

export interface Draft {
  /** Per blocker, the alternatives preferred first. */
  candidates: { namespace: string; blocker: Blocker; options: Candidate[] }[];
  manual: ManualItem[];
  warnings: PlanWarning[];
}

/**
 * The order steps are applied in, whatever order the diagnosis listed the blockers: a webhook that refuses writes
 * goes first (it would refuse the next steps too); then what stops discovery, without which the namespace controller
 * never finishes; owners waiting on dependents before the dependents' finalizers (otherwise the garbage collector
 * deletes the owner under the next step); finalizers no controller will ever remove before those of a controller that
 * is only stalled; pods; the namespace's own finalizers last, /finalize (the namespace controller's own last step)
 * after metadata.finalizers. Within a phase, in the order of the emitting check's `emits`, then the diagnosis order.
 */
export const PHASE_ORDER: readonly PlanPhase[] = [
  'unblock-admission',
  'restore-discovery',
  'owners-before-dependents',
  'finalizers-without-owner',
  'finalizers-of-live-controllers',
  'pods',
  'namespace-metadata-finalizers',
  'namespace-spec-finalizers',
  'none',
];

export function draftPlan(inputs: { report: Report; snapshot: Snapshot }[]): Draft {
  const draft: Draft = { candidates: [], manual: [], warnings: [] };
  for (const { report, snapshot } of inputs) {
    for (const blocker of report.blockers) {
      for (const warning of blocker.warnings ?? []) draft.warnings.push({ blockerId: blocker.id, namespace: report.namespace, warning });
      const { options, reason } = checkEmitting(blocker.id)?.plan(blocker, snapshot) ?? noStep('no mechanical fix: see the fixes in the diagnosis');
      if (options.length) draft.candidates.push({ namespace: report.namespace, blocker, options });
      else draft.manual.push({ blockerId: blocker.id, namespace: report.namespace, summary: blocker.summary, reason });
    }
  }
  draft.candidates.sort((a, b) => phaseIndex(a.blocker.id) - phaseIndex(b.blocker.id) || emitsIndex(a.blocker.id) - emitsIndex(b.blocker.id));
  return draft;
}

function phaseIndex(id: BlockerId): number {
  return PHASE_ORDER.indexOf(checkEmitting(id)?.planPhase ?? 'none');
}

function emitsIndex(id: BlockerId): number {
  return checkEmitting(id)?.emits.indexOf(id) ?? 0;
}

/** Chooses, per blocker, the first alternative --allow permits; the others are withheld with what they need. */
export function selectSteps(draft: Draft, allow: FixSafety): { chosen: StepDraft[]; withheld: { draft: StepDraft; needs: string }[] } {
  const chosen: StepDraft[] = [];
  const withheld: { draft: StepDraft; needs: string }[] = [];
  for (const { options } of draft.candidates) {
    const pick = options.find((o) => allows(allow, o.safety));
    if (pick) chosen.push(...pick.steps);
    else for (const step of options[0]?.steps ?? []) withheld.push({ draft: step, needs: `--allow ${options[0]?.safety ?? 'last-resort'}` });
  }
  return { chosen, withheld };
}

/** The kubectl command a person would type for the same change (shown for review; ns-doctor never runs it). */
export function humanCommand(draft: StepDraft, request: { body: unknown }): string {
  const { ref } = draft.target;
  const nsFlag = ref.namespace ? ['-n', ref.namespace] : [];
  const scoped = (command: string) => (nsFlag.length ? command.replace(/^kubectl /, `kubectl -n ${sh`${ref.namespace!}`} `) : command);
  switch (draft.action.type) {
    case 'delete':
      return scoped(sh`kubectl delete ${draft.kubectlType} ${ref.name}`);
    case 'add-taint':
      return sh`kubectl taint nodes ${ref.name} ${`${draft.action.taint.key}=${draft.action.taint.value}:${draft.action.taint.effect}`}`;
    case 'finalize-namespace':
      return sh`kubectl replace --raw ${`/api/v1/namespaces/${ref.name}/finalize`} -f -` + '   # with the body shown above';
    default:
      return scoped(sh`kubectl patch ${draft.kubectlType} ${ref.name} --type=json -p ${JSON.stringify(request.body)}`);
  }
}
