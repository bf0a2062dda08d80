import type { Blocker, EvidenceLink, Fix } from '../model/report.js';
import { finalizersWithLiveOwner, type OwnerState, type StallVerdict } from '../rules/deadlines.js';
import type { Pause } from '../rules/pause.js';
import type { ObjectSample, Snapshot } from '../snapshot/types.js';
import { sh } from '../util/shell.js';
import { humanDuration } from '../util/time.js';
import { catalogLink, controllerLinks, facts, logsCommand, mayBePausedLinks, objectLinks, pauseLink, refOf, removeFinalizerFix, typeNameOf, waitingCount } from './finalizer-facts.js';
import { link, type Check } from './types.js';
import { removeCustomFinalizer } from './plan-steps.js';

declare module '../model/report.js' {
  interface BlockerIds {
    FinalizerControllerStalled: true;
    ControllerCannotCreateInTerminatingNamespace: true;
  }
}

type Stalled = Extract<StallVerdict, { stalled: true }>;
type Waited = Extract<OwnerState, { state: 'live' | 'unseen' }>;

/**
 * No unbounded wait on a controller: objects whose finalizer's controller runs (or may run, or runs out of sight) are
 * a wait only until their own words report a failure or they have waited past --stall-after; then they are this.
 */
export const finalizerControllerStalled = {
  id: 'FinalizerControllerStalled',
  emits: ['FinalizerControllerStalled', 'ControllerCannotCreateInTerminatingNamespace'],
  description: 'Objects wait on a finalizer whose controller runs but reports a failure, or has not removed it within --stall-after',
  stage: 'finalizers',
  groupSummary({ id, subject, summary }) {
    if (subject.kind !== 'Finalizer') return summary;
    const type = typeNameOf(subject);
    return id === 'ControllerCannotCreateInTerminatingNamespace'
      ? `${type} wait on finalizer ${subject.finalizer}, and its controller must create an object in the terminating namespace to finish`
      : `${type} wait on finalizer ${subject.finalizer}, and its controller reports a failure or has not removed it within --stall-after`;
  },
  planPhase: 'finalizers-of-live-controllers',
  plan(blocker, snapshot) {
    return removeCustomFinalizer(blocker, snapshot, 'its controller has not, and will not by itself', false);
  },
  run(snapshot, { now, stallAfterMs }) {
    const blockers: Blocker[] = [];
    for (const { finalizer, samples, first, owner, verdict } of finalizersWithLiveOwner(snapshot, now, stallAfterMs)) {
      if (!verdict.stalled) continue;
      const total = waitingCount(snapshot, first, finalizer, samples.length);
      blockers.push({
        ...stalledBlocker(snapshot, snapshot.namespaceName, finalizer, first, samples, owner, verdict, { now, stallAfterMs }, total),
        finalizer: facts(snapshot, finalizer, first, samples, owner, { verdict, stallAfterMs }),
      });
    }
    return blockers;
  },
} satisfies Check;

function stalledBlocker(
  snapshot: Snapshot,
  namespace: string,
  finalizer: string,
  first: ObjectSample,
  samples: ObjectSample[],
  owner: Waited,
  verdict: Stalled,
  { now, stallAfterMs }: { now: Date; stallAfterMs: number },
  total: number,
): Blocker {
  const typeName = typeNameOf(first);
  const known = owner.known;
  const evidence: EvidenceLink[] = objectLinks(samples, finalizer, total, now);
  const words = wordsLink(verdict);
  if (words) evidence.push(words);
  else evidence.push(...mayBePausedLinks(snapshot, samples));
  if (known) evidence.push(catalogLink(known, finalizer));
  if (owner.state === 'live') evidence.push(...controllerLinks(owner, typeName, finalizer));
  const pod = owner.state === 'live' ? owner.pods[0] : undefined;
  const controller = controllerName(owner, pod);
  // With no controller pod in sight, what it last said about the object is in the object's Events.
  const logs = logsCommand(pod) ?? (first.meta.namespace ? sh`kubectl -n ${first.meta.namespace} describe ${typeName} ${first.meta.name}` : undefined);
  const fixes: Fix[] = [];
  const waited = humanDuration(verdict.waitedMs);
  let summary: string;
  if (verdict.reason === 'Paused' && verdict.source?.pause) {
    const { sample: paused, pause } = verdict.source;
    const whose = samples.includes(paused) ? '' : ', which owns them,';
    summary = `${total} ${typeName} wait${total === 1 ? 's' : ''} on finalizer ${finalizer}, but reconciliation of ${paused.kind} ${paused.meta.name}${whose} is paused (${pause.project}'s switch ${pause.switch}): ${controller} leaves it alone, finalizer included, until it is resumed`;
    fixes.push(...resumeFixes(paused, pause, controller, namespace));
  } else if (verdict.reason === 'CannotCreateInTerminatingNamespace') {
    summary = `${total} ${typeName} wait${total === 1 ? 's' : ''} on finalizer ${finalizer}, but ${controller} must create an object in namespace ${namespace} to finish, and a Terminating namespace refuses new objects: it can never finish`;
    fixes.push({
      safety: 'safe',
      description: `make sure what ${finalizer} guards is cleaned up (the external resource named in the controller's words), by the controller elsewhere or by hand; the controller's own log says what it tried`,
      ...(logs ? { command: logs } : {}),
    });
  } else if (verdict.reason === 'StallAfter') {
    summary = `${total} ${typeName} ha${total === 1 ? 's' : 've'} waited ${waited} on finalizer ${finalizer}, longer than --stall-after ${humanDuration(stallAfterMs)}; ${controller} has not removed it`;
    fixes.push({ safety: 'safe', description: `read what ${controller} says about ${first.meta.name} and fix what it reports`, ...(logs ? { command: logs } : {}) });
  } else {
    const said = verdict.source?.condition ?? verdict.source?.event;
    summary = `${total} ${typeName} wait${total === 1 ? 's' : ''} on finalizer ${finalizer}, and ${controller} reports that it fails (${said?.reason ?? 'see its message'}, waiting ${waited})`;
    fixes.push({ safety: 'safe', description: `fix what the controller reports (${said?.reason ?? 'its message'}: see the evidence); it retries by itself and removes the finalizer`, ...(logs ? { command: logs } : {}) });
  }
  if (pod && owner.state === 'live' && owner.confidence === 'runs' && verdict.reason !== 'Paused') {
    fixes.push({
      safety: 'caution',
      description: `restart the controller${pod.owner ? '' : ' (its pod has no owner: make sure something re-creates it)'}, in case it is wedged`,
      command: sh`kubectl -n ${pod.namespace} delete pod ${pod.name}`,
      cost: 'its work pauses for as long as it takes to start again',
    });
  }
  fixes.push(removeFinalizerFix(first, finalizer, known, total));
  return {
    id: verdict.reason === 'CannotCreateInTerminatingNamespace' ? 'ControllerCannotCreateInTerminatingNamespace' : 'FinalizerControllerStalled',
    subject: { kind: 'Finalizer', finalizer, group: first.group, resource: first.resource },
    summary,
    evidence,
    fixes,
  };
}

function controllerName(owner: Waited, pod: { namespace: string; name: string } | undefined): string {
  if (owner.state === 'unseen') return owner.known.owner;
  if (!pod) return 'its controller';
  return owner.confidence === 'runs' ? `its controller ${pod.namespace}/${pod.name}` : `pod ${pod.namespace}/${pod.name} (which may remove it: RBAC only)`;
}

/** The controller's own words (a condition on the object, or a Warning Event about it), as evidence. */
function wordsLink(verdict: Stalled): EvidenceLink | undefined {
  const source = verdict.source;
  if (source?.pause) return pauseLink(source.sample, source.pause);
  if (source?.condition) {
    const c = source.condition;
    return link(refOf(source.sample), `${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ''}${c.message ? `: ${c.message}` : ''}`, 1);
  }
  if (source?.event) {
    const e = source.event;
    const by = e.source ? ` by ${e.source}` : '';
    return link({ kind: 'Event', namespace: e.namespace, name: e.name }, `${e.type ?? 'Warning'} ${e.reason ?? ''}${by}${e.count && e.count > 1 ? ` (×${e.count})` : ''}: ${e.message ?? ''}`, 1);
  }
  return undefined;
}

/**
 * Paused on purpose: who paused it, and why, is a person's question (clusterctl move pauses what it moves); resuming
 * is the fix, with the switch's own command. No restart: the controller is not wedged, it was told to wait.
 */
function resumeFixes(paused: ObjectSample, pause: Pause, controller: string, namespace: string): Fix[] {
  const type = typeNameOf(paused);
  const ns = paused.meta.namespace ?? namespace;
  const column = pause.on === 'annotation' ? `.metadata.annotations.${pause.switch.replace(/\./g, '\\.')}` : `.${pause.switch}`;
  return [
    {
      safety: 'safe',
      description: 'find out who paused it and why (clusterctl move pauses what it moves; migrations and maintenance do too); resume it only once that is done',
      command: sh`kubectl get ${type} -A -o ${`custom-columns=NAMESPACE:.metadata.namespace,NAME:.metadata.name,PAUSED:${column}`}`,
    },
    {
      safety: 'caution',
      description: `resume reconciliation of ${paused.kind} ${paused.meta.name}: ${controller} then finishes the deletion and removes the finalizer itself`,
      command:
        pause.on === 'annotation'
          ? sh`kubectl -n ${ns} annotate ${type} ${paused.meta.name} ${`${pause.switch}-`}`
          : sh`kubectl -n ${ns} patch ${type} ${paused.meta.name} --type=merge -p ${'{"spec":{"paused":false}}'}`,
      cost: `${pause.project ?? 'the controller'} acts on it again at once, deleting what the finalizer guards; if it was paused for a move, finish the move first, or two management clusters act on the same objects`,
    },
  ];
}
