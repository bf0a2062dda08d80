// Draws a fix plan and its result for people. Strings arrive escaped (render/index.ts).
import { Chalk, type ChalkInstance } from 'chalk';
import type { FixResult, FixPlan, PlanStep } from '../model/plan.js';
import type { FixSafety } from '../model/report.js';
import { requestUrl } from '../model/plan.js';

function safetyColor(c: ChalkInstance, safety: FixSafety) {
  return safety === 'safe' ? c.green : safety === 'caution' ? c.yellow : c.red;
}

export function renderPlanText(plan: FixPlan, color: boolean): string {
  const c = new Chalk({ level: color ? 1 : 0 });
  const lines: string[] = [];
  for (const ns of plan.namespaces) lines.push(`${c.bold(ns.namespace)}: ${ns.summary}`);
  lines.push('');
  if (plan.steps.length) {
    lines.push(c.bold(`Plan ${plan.planId} — ${plan.steps.length} step${plan.steps.length === 1 ? '' : 's'} (allowed: ${plan.allow === 'safe' ? 'safe' : `up to ${plan.allow}`}); nothing has been written`));
    for (const step of plan.steps) lines.push(...renderStep(step, c));
  } else {
    lines.push(c.bold(`No step to apply (allowed: ${plan.allow === 'safe' ? 'safe' : `up to ${plan.allow}`}).`));
  }
  if (plan.withheld.length) {
    lines.push('', c.bold('Not in this plan (needs a higher --allow; listed with what it costs):'));
    for (const w of plan.withheld) {
      lines.push(`  - ${safetyColor(c, w.safety)(`(${w.safety})`)} ${w.description} ${c.dim(`[${w.blockerId}; ${w.needs}]`)}`);
      if (w.cost) lines.push(`      ${c.dim(`cost: ${w.cost}`)}`);
    }
  }
  if (plan.manual.length) {
    lines.push('', c.bold('Not fixed by this plan (a person has to act, or ns-doctor never makes that change):'));
    for (const m of plan.manual) lines.push(`  - ${m.namespace}: ${m.summary} ${c.dim(`[${m.blockerId}]`)}`, `      ${c.dim(m.reason)}`);
  }
  for (const w of plan.warnings) lines.push(`  ${c.yellow.bold('⚠ warning:')} ${w.warning} ${c.dim(`[${w.blockerId}, ${w.namespace}]`)}`);
  if (plan.gaps.length) lines.push('', c.yellow(`Could not see ${plan.gaps.length} thing(s) during the diagnosis: run \`kubectl ns-doctor <namespace>\` for details.`));
  if (plan.steps.length) {
    const allow = plan.allow === 'safe' ? '' : ` --allow ${plan.allow}`;
    const only = plan.namespaces.length === 1 ? plan.namespaces[0] : undefined;
    const target = only ? only.namespace : '--all';
    lines.push('', `Apply: kubectl ns-doctor fix ${target}${allow} --apply --plan-id ${plan.planId}`);
    lines.push(c.dim('Before each step its evidence is read again; if anything it relies on changed, nothing more is written.'));
  }
  return lines.join('\n') + '\n';
}

function renderStep(step: PlanStep, c: ChalkInstance): string[] {
  const lines = [
    `  ${step.index}. ${safetyColor(c, step.safety)(`(${step.safety})`)} ${step.description} ${c.dim(`[${step.blockerId}${step.namespaces.length > 1 ? `; namespaces ${step.namespaces.join(', ')}` : ''}]`)}`,
    `     ${c.bold(`${step.request.method} ${requestUrl(step.request)}`)}  ${c.dim(step.request.contentType)}`,
    `     body: ${JSON.stringify(step.request.body)}`,
  ];
  if (step.batch) lines.push(`     ${c.bold(`covers all ${step.batch.objects} objects`)} of ${step.batch.list} being deleted with finalizer ${step.batch.finalizer}: each is listed and written with its own uid, resourceVersion and finalizer tests`);
  if (step.cost) lines.push(`     ${c.dim(`cost: ${step.cost}`)}`);
  if (step.command) lines.push(`     ${c.dim(`same as: ${step.command}`)}`);
  lines.push(`     ${c.dim('relies on:')}`);
  for (const e of step.evidence) {
    const ref = `${e.ref.kind} ${e.ref.namespace ? `${e.ref.namespace}/` : ''}${e.ref.name}`;
    const version = e.uid ? ` (uid ${e.uid}, resourceVersion ${e.resourceVersion ?? '?'})` : '';
    const facts = Object.entries(e.facts).map(([k, v]) => `${k}=${v}`).join(', ');
    lines.push(`       ${c.cyan(ref)}${c.dim(version)}: ${facts}`);
  }
  return lines;
}

export function renderFixResultText(result: FixResult, color: boolean): string {
  const c = new Chalk({ level: color ? 1 : 0 });
  const outcomeColor = {
    Applied: c.green.bold,
    DryRunPassed: c.green.bold,
    NothingToApply: c.bold,
    Stopped: c.yellow.bold,
    Refused: c.red.bold,
    Failed: c.red.bold,
    NoAnswer: c.red.bold,
    Unreachable: c.red.bold,
  }[result.outcome];
  const lines = [outcomeColor(`${result.mode === 'dry-run' ? 'Dry run' : 'Apply'} of plan ${result.planId}: ${result.outcome} — ${result.message}`)];
  for (const step of result.steps) {
    const detail = [step.httpStatus ? `HTTP ${step.httpStatus}` : '', step.message ?? '', ...(step.events ?? []).map((e) => `event ${e.namespace}/${e.name} about namespace ${e.about}`)].filter(Boolean).join('; ');
    lines.push(`  ${step.index}. ${step.status}${detail ? ` (${detail})` : ''} ${c.dim(`[${step.blockerId}]`)}`);
    if (step.lostAnswer) lines.push(`     ${c.yellow('re-read after the lost answer:')} ${step.lostAnswer.reread} — ${step.lostAnswer.detail}`);
    if (step.batch) {
      const b = step.batch;
      lines.push(`     objects: ${b.applied} of ${b.matched} written${b.moved ? `, ${b.moved} changed before their write (not written)` : ''}${b.failed ? `, ${b.failed} refused` : ''}${b.noAnswer ? `, ${b.noAnswer} without an answer (may have been applied)` : ''}${b.notRun ? `, ${b.notRun} not tried` : ''}`);
    }
  }
  for (const change of result.changes ?? []) {
    lines.push(`  ${c.yellow('changed:')} ${change.ref.kind} ${change.ref.namespace ? `${change.ref.namespace}/` : ''}${change.ref.name}: ${change.field} ${change.planned} → ${change.now}`);
  }
  for (const m of result.missingPermissions ?? []) {
    lines.push(`  ${c.red('missing:')} ${m.verb} ${m.resource}${m.subresource ? `/${m.subresource}` : ''}${m.group ? ` (${m.group})` : ''}${m.namespace ? ` in ${m.namespace}` : ''}${m.name ? ` named ${m.name}` : ''}${m.step ? ` — step ${m.step}` : ''}`);
  }
  for (const p of result.progress ?? []) {
    lines.push(
      p.namespaceGone
        ? c.green(`  namespace ${p.namespace} is gone (after ${p.waitedSeconds}s of watching)`)
        : `  namespace ${p.namespace} still there after ${p.waitedSeconds}s (${p.objectsBefore} → ${p.objectsAfter} objects)`,
    );
  }
  if (result.steps.some((s) => s.events?.length)) lines.push(c.dim('  Recorded: kubectl get events -n default --field-selector reason=NsDoctorFixApplied'));
  if (result.auditFile) lines.push(c.dim(`  Every write attempted and its outcome: ${result.auditFile}`));
  return lines.join('\n') + '\n';
}
