// Draws a report for people: root cause first, then the evidence chain as a tree, then fixes safest first.
import { Chalk, type ChalkInstance } from 'chalk';
import type { Blocker, Fix, Gap, Report, ReportList } from '../model/report.js';
import { humanDuration } from '../util/time.js';

export function renderText(report: Report, color: boolean): string {
  const c = new Chalk({ level: color ? 1 : 0 });
  const lines: string[] = [];
  const verdictColor = { Blocked: c.red.bold, Incomplete: c.yellow.bold, Progressing: c.cyan.bold, NotTerminating: c.green.bold, NotFound: c.yellow.bold }[report.verdict];
  lines.push(verdictColor(report.summary));
  for (const blocker of report.blockers) lines.push(...renderBlocker(blocker, c));
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
  const lines = [`  ${c.red('✗')} ${c.bold(blocker.summary)} ${c.dim(`[${blocker.id}]`)}`];
  for (const evidence of blocker.evidence) {
    const indent = '      ' + '  '.repeat(evidence.depth);
    const branch = evidence.depth > 0 ? '└ ' : '';
    const ref = `${evidence.ref.kind} ${evidence.ref.namespace ? `${evidence.ref.namespace}/` : ''}${evidence.ref.name}`;
    lines.push(`${indent}${c.dim(branch)}${c.cyan(ref)}${evidence.fact ? `  ${evidence.fact}` : ''}`);
  }
  blocker.fixes.forEach((fix, index) => lines.push(...renderFix(fix, index === 0 ? 'fix' : 'or ', c)));
  for (const warning of blocker.warnings ?? []) lines.push(`    ${c.yellow.bold('⚠ warning:')} ${warning}`);
  return lines;
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
    const unknown = report.gaps.some((g) => g.kind === 'content' || g.kind === 'discovery' || g.kind === 'fatal');
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

export function renderTextList(list: ReportList, color: boolean): string {
  return [renderAllSummary(list, color), ...list.items.map((r) => renderText(r, color))].join('\n');
}

function renderAllSummary(list: ReportList, color: boolean): string {
  const c = new Chalk({ level: color ? 1 : 0 });
  if (list.items.length === 0) return 'No namespace is Terminating.\n';
  const width = Math.max(...list.items.map((r) => r.namespace.length), 9);
  const lines = [c.bold(`${'NAMESPACE'.padEnd(width)}  ${'VERDICT'.padEnd(14)}  ${'FOR'.padEnd(8)}  BLOCKERS`)];
  for (const r of list.items) {
    const age = r.terminatingForSeconds !== undefined ? humanDuration(r.terminatingForSeconds * 1000) : '-';
    lines.push(`${r.namespace.padEnd(width)}  ${r.verdict.padEnd(14)}  ${age.padEnd(8)}  ${[...new Set(r.blockers.map((b) => b.id))].join(',') || '-'}`);
  }
  return lines.join('\n') + '\n';
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
