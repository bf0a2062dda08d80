// Draws a report for people: root cause first, then the evidence chain as a tree, then fixes safest first.
import { Chalk, type ChalkInstance } from 'chalk';
import type { Blocker, EvidenceLink, Fix, Gap, Report, ReportList, Wait } from '../model/report.js';
import { clockTime, humanDuration } from '../util/time.js';

export function renderText(report: Report, color: boolean): string {
  const c = new Chalk({ level: color ? 1 : 0 });
  const lines: string[] = [];
  const verdictColor = { Blocked: c.red.bold, Incomplete: c.yellow.bold, Progressing: c.cyan.bold, NotTerminating: c.green.bold, NotFound: c.yellow.bold }[report.verdict];
  lines.push(verdictColor(report.summary));
  for (const blocker of report.blockers) lines.push(...renderBlocker(blocker, c));
  if (report.waitingOn?.length) {
    lines.push(`  Waiting on (most decisive first):`);
    for (const wait of report.waitingOn) lines.push(...renderWait(wait, c));
  }
  if (report.deletionTimestamp) {
    lines.push(...renderRemaining(report, c));
    if (report.namespaceFinalizers.spec.length || report.namespaceFinalizers.metadata.length) {
      lines.push(
        `  Namespace finalizers: spec [${report.namespaceFinalizers.spec.join(', ')}], metadata [${report.namespaceFinalizers.metadata.join(', ')}]`,
      );
    }
    if (report.discovery.failing.length) {
      lines.push(`  Discovery (${report.discovery.mode}): ${report.discovery.failing.length} of ${report.discovery.groupVersions} group versions failing: ${report.discovery.failing.map((f) => `${f.groupVersion} (${f.state})`).join(', ')}`);
    }
  }
  if (report.gaps.length) {
    lines.push(c.yellow(`  Could not see (${report.gaps.length}) — the diagnosis may miss what these hide:`));
    for (const line of gapLines(report.gaps, report.namespace)) lines.push(c.yellow(`    ? ${line}`));
  }
  lines.push(c.dim(`  ${report.stats.requests} requests, ${formatBytes(report.stats.bytesReceived)} received, ${report.stats.durationMs} ms`));
  return lines.join('\n') + '\n';
}

/**
 * Many failed lists read better as one line than one line per resource type: grouped by HTTP status (403s name
 * each type in their message), or by the reason itself when there is none (e.g. the server went away).
 */
function gapLines(gaps: Gap[], namespace: string): string[] {
  const keyOf = (gap: Gap) => (gap.kind === 'content' && gap.resource ? String(gap.httpStatus ?? gap.reason) : undefined);
  const groups = new Map<string, Gap[]>();
  for (const gap of gaps) {
    const key = keyOf(gap);
    if (key !== undefined) groups.set(key, [...(groups.get(key) ?? []), gap]);
  }
  const lines: string[] = [];
  for (const gap of gaps) {
    const key = keyOf(gap);
    const group = key === undefined ? undefined : groups.get(key);
    if (group && group.length > 3) {
      if (group[0] !== gap) continue;
      const how = gap.httpStatus ? `failed with ${gap.httpStatus}` : `failed (${gap.reason})`;
      lines.push(`list in ${namespace} (${group.length} types) ${how}: ${group.map((g) => g.resource).join(', ')} — what is left of these types is unknown`);
      continue;
    }
    lines.push(`${gap.what}: ${gap.reason}${gap.impact ? ` — ${gap.impact}` : ''}`);
  }
  return lines;
}

function renderBlocker(blocker: Blocker, c: ChalkInstance): string[] {
  const lines = [`  ${c.red('✗')} ${c.bold(blocker.summary)} ${c.dim(`[${blocker.id}]`)}`, ...renderEvidence(blocker.evidence, c)];
  blocker.fixes.forEach((fix, index) => lines.push(...renderFix(fix, index === 0 ? 'fix' : 'or ', c)));
  for (const warning of blocker.warnings ?? []) lines.push(`    ${c.yellow.bold('⚠ warning:')} ${warning}`);
  return lines;
}

function renderWait(wait: Wait, c: ChalkInstance): string[] {
  const lines = [`  ${c.cyan('…')} ${wait.summary} ${c.dim(`[${wait.reason}]`)}`, ...renderEvidence(wait.evidence, c)];
  if (wait.command) lines.push(`    ${c.dim('if it takes longer:')}`, `        ${c.bold('$')} ${wait.command}`);
  return lines;
}

function renderEvidence(evidence: EvidenceLink[], c: ChalkInstance): string[] {
  return evidence.map((e) => {
    const indent = '      ' + '  '.repeat(e.depth);
    const branch = e.depth > 0 ? '└ ' : '';
    const ref = `${e.ref.kind} ${e.ref.namespace ? `${e.ref.namespace}/` : ''}${e.ref.name}`;
    return `${indent}${c.dim(branch)}${c.cyan(ref)}${e.fact ? `  ${e.fact}` : ''}`;
  });
}

function renderFix(fix: Fix, label: string, c: ChalkInstance): string[] {
  const safetyColor = fix.safety === 'safe' ? c.green : fix.safety === 'caution' ? c.yellow : c.red;
  const lines = [`    ${label} ${safetyColor(`(${fix.safety})`)} ${fix.description}`];
  if (fix.command) lines.push(`        ${c.bold('$')} ${fix.command}`);
  if (fix.cost) lines.push(`        ${c.dim(`cost: ${fix.cost}`)}`);
  return lines;
}

function renderRemaining(report: Report, c: ChalkInstance): string[] {
  if (report.remaining.length === 0) {
    const unknown = report.gaps.some((g) => g.kind === 'content' || g.kind === 'discovery' || g.kind === 'fatal' || g.kind === 'inconsistent');
    return [`  Content left in the namespace: ${unknown ? c.yellow('unknown for some types (see below)') : 'none'}`];
  }
  const lines = ['  Content left in the namespace:'];
  const width = Math.max(...report.remaining.map((r) => typeName(r).length));
  for (const type of report.remaining) {
    const finalizers = Object.entries(type.finalizers).map(([f, n]) => `${f} ×${n}`).join(', ');
    const terminating = type.withDeletionTimestamp ? `, ${type.withDeletionTimestamp} terminating` : '';
    lines.push(`    ${typeName(type).padEnd(width)}  ${String(type.count).padStart(6)}${terminating}${finalizers ? `  finalizers: ${finalizers}` : ''}`);
  }
  return lines;
}

function typeName(type: { resource: string; group: string }): string {
  return type.group ? `${type.resource}.${type.group}` : type.resource;
}

export const VERDICT_WORDS: Record<string, string> = {
  Blocked: 'BLOCKED',
  Incomplete: 'INCOMPLETE',
  Progressing: 'progressing',
  NotTerminating: 'not terminating',
  NotFound: 'gone',
};

/** Counts per verdict, most severe first: "25 BLOCKED, 1 INCOMPLETE, 1 progressing". */
export function verdictCounts(items: Report[]): string {
  const counts = new Map<string, number>();
  for (const r of items) counts.set(r.verdict, (counts.get(r.verdict) ?? 0) + 1);
  return Object.keys(VERDICT_WORDS)
    .filter((v) => counts.has(v))
    .map((v) => `${counts.get(v)} ${VERDICT_WORDS[v]}`)
    .join(', ');
}

/** The cause labels of each namespace, from the groups: the table's CAUSE column. */
export function causesByNamespace(list: ReportList): Map<string, string[]> {
  const causes = new Map<string, string[]>();
  for (const group of list.groups ?? []) for (const ns of group.namespaces) causes.set(ns, [...(causes.get(ns) ?? []), group.label]);
  return causes;
}

const MAX_NAMES = 8;

export function namespaceNames(names: string[]): string {
  const shown = names.slice(0, MAX_NAMES).join(', ');
  return names.length > MAX_NAMES ? `${shown}, … and ${names.length - MAX_NAMES} more` : shown;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * --all for people: the root causes first, each with the namespaces it blocks and its fix once; then one table line
 * per namespace; the full report of each namespace only with `details`. `now`: the clock the reports were diagnosed
 * at, which times are shown relative to (a render never reads the wall clock).
 */
export function renderTextList(list: ReportList, color: boolean, now: Date, details = false): string {
  const c = new Chalk({ level: color ? 1 : 0 });
  if (list.items.length === 0) return 'No namespace is Terminating.\n';
  const groups = list.groups ?? [];
  const lines = [
    c.bold(`${plural(list.items.length, 'namespace')} Terminating: ${verdictCounts(list.items)}${groups.length ? `; ${plural(groups.length, 'root cause')}` : ''}`),
  ];
  for (const group of groups) {
    lines.push('');
    const blocker: Blocker = {
      id: group.blockerIds[0]!, // a group has at least the blocker that made it
      subject: group.subject,
      summary: `${plural(group.namespaces.length, 'namespace')}: ${group.summary}`,
      evidence: group.evidence,
      fixes: group.fixes,
    };
    lines.push(...renderBlocker(blocker, c));
    if (group.perNamespaceFixes) lines.push(c.dim('    more fixes name objects of each namespace: --details or -o json'));
    lines.push(`    ${c.dim('namespaces:')} ${namespaceNames(group.namespaces)}`);
  }
  const unexplained = list.items.filter((r) => r.verdict === 'Incomplete');
  if (unexplained.length) {
    lines.push('', c.yellow(`? ${plural(unexplained.length, 'namespace')} INCOMPLETE: no blocker proven, but something could not be read (see --details): ${namespaceNames(unexplained.map((r) => r.namespace))}`));
  }
  const progressing = list.items.filter((r) => r.verdict === 'Progressing');
  if (progressing.length) lines.push('', c.cyan(`${plural(progressing.length, 'namespace')} progressing, no blocker found: ${namespaceNames(progressing.map((r) => r.namespace))}`));

  lines.push('', ...fleetTable(list, c, now));
  lines.push(c.dim(`  ${list.stats.requests} requests, ${formatBytes(list.stats.bytesReceived)} received, ${list.stats.durationMs} ms`));
  const out = lines.join('\n') + '\n';
  return details ? [out, ...list.items.map((r) => renderText(r, color))].join('\n') : out;
}

function fleetTable(list: ReportList, c: ChalkInstance, now: Date): string[] {
  const causes = causesByNamespace(list);
  const width = Math.max(...list.items.map((r) => r.namespace.length), 9);
  const lines = [c.bold(`${'NAMESPACE'.padEnd(width)}  ${'AGE'.padEnd(7)}  ${'VERDICT'.padEnd(12)}  CAUSE`)];
  for (const r of list.items) {
    const age = r.terminatingForSeconds !== undefined ? humanDuration(r.terminatingForSeconds * 1000) : '-';
    const cause =
      causes.get(r.namespace)?.join(', ') ??
      (r.verdict === 'Incomplete' ? `${plural(r.gaps.length, 'thing')} not readable` : r.verdict === 'Progressing' ? waitingCause(r, now) : '-');
    lines.push(`${r.namespace.padEnd(width)}  ${age.padEnd(7)}  ${r.verdict.padEnd(12)}  ${cause}`);
  }
  return lines;
}

/** For a Progressing namespace in the --all table: what it waits on, and until when. */
function waitingCause(report: Report, now: Date): string {
  const reasons = [...new Set((report.waitingOn ?? []).map((w) => w.reason))].join(',');
  if (!reasons) return '-';
  if (!report.expectedBy) return `${reasons} (no finish time known)`;
  const by = Date.parse(report.expectedBy);
  return `${reasons} (by ${clockTime(by, now)})`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
