// Markdown for incident tickets.
import type { EvidenceLink, Fix, Report, ReportList } from '../model/report.js';
import { humanDuration } from '../util/time.js';
import { causesByNamespace, namespaceNames, verdictCounts } from './text.js';

function evidenceLines(evidence: EvidenceLink[]): string[] {
  return evidence.map((e) => `${'  '.repeat(e.depth)}- **${e.ref.kind}** \`${e.ref.namespace ? `${e.ref.namespace}/` : ''}${e.ref.name}\`${e.fact ? ` — ${e.fact}` : ''}`);
}

function fixLines(fixes: Fix[]): string[] {
  const out: string[] = [];
  for (const fix of fixes) {
    out.push(`- *${fix.safety}*: ${fix.description}${fix.cost ? ` — cost: ${fix.cost}` : ''}`);
    if (fix.command) out.push('', '  ```sh', `  ${fix.command}`, '  ```');
  }
  out.push('');
  return out;
}

/** `level`: the heading level of the report's title (its sections are one deeper); 3 under a cluster's heading. */
export function renderMarkdown(report: Report, level = 2): string {
  const h = (depth: number) => '#'.repeat(level + depth);
  const out: string[] = [`${h(0)} ns-doctor: \`${report.namespace}\` — ${report.verdict}`, '', report.summary, ''];
  for (const blocker of report.blockers) {
    out.push(`${h(1)} ✗ ${blocker.summary} (\`${blocker.id}\`)`, '');
    out.push(...evidenceLines(blocker.evidence));
    out.push('', '**Fixes (safest first)**', '', ...fixLines(blocker.fixes));
    for (const warning of blocker.warnings ?? []) out.push(`- ⚠ **warning**: ${warning}`, '');
  }
  if (report.waitingOn?.length) {
    out.push(`${h(1)} Waiting on (most decisive first)`, '');
    for (const wait of report.waitingOn) {
      out.push(`- ${wait.summary} (\`${wait.reason}\`)`, '', ...evidenceLines(wait.evidence).map((line) => `  ${line}`));
      if (wait.command) out.push('', '  If it takes longer:', '', '  ```sh', `  ${wait.command}`, '  ```');
      out.push('');
    }
  }
  if (report.remaining.length) {
    out.push(`${h(1)} Content left`, '', '| type | count | terminating | finalizers |', '|---|---:|---:|---|');
    for (const r of report.remaining) {
      out.push(`| ${r.group ? `${r.resource}.${r.group}` : r.resource} | ${r.count} | ${r.withDeletionTimestamp} | ${Object.entries(r.finalizers).map(([f, n]) => `${f} ×${n}`).join(', ')} |`);
    }
    out.push('');
  }
  if (report.gaps.length) {
    out.push(`${h(1)} Could not see`, '');
    for (const g of report.gaps) out.push(`- ${g.what}: ${g.reason}${g.impact ? ` — ${g.impact}` : ''}`);
    out.push('');
  }
  out.push(`_${report.stats.requests} requests, ${report.stats.bytesReceived} bytes, ${report.stats.durationMs} ms_`, '');
  return out.join('\n');
}

/** --all for incident tickets: root causes with their fix once, a table of namespaces, details on request. */
export function renderMarkdownList(list: ReportList, details = false, level = 2): string {
  if (list.items.length === 0) return 'No namespace is Terminating.\n';
  const h = (depth: number) => '#'.repeat(level + depth);
  const groups = list.groups ?? [];
  const out: string[] = [`${h(0)} ns-doctor: ${list.items.length} Terminating namespace${list.items.length === 1 ? '' : 's'} — ${verdictCounts(list.items)}`, ''];
  for (const group of groups) {
    const n = group.namespaces.length;
    out.push(`${h(1)} ✗ ${n} namespace${n === 1 ? '' : 's'}: ${group.summary} (\`${group.blockerIds.join('`, `')}\`)`, '');
    out.push(...evidenceLines(group.evidence), '');
    if (group.fixes.length) out.push('**Fixes (safest first)**', '', ...fixLines(group.fixes));
    if (group.perNamespaceFixes) out.push('_More fixes name objects of each namespace: see the details._', '');
    out.push(`Namespaces: ${namespaceNames(group.namespaces.map((ns) => `\`${ns}\``))}`, '');
  }
  const causes = causesByNamespace(list);
  out.push('| namespace | age | verdict | cause |', '|---|---|---|---|');
  for (const r of list.items) {
    const age = r.terminatingForSeconds !== undefined ? humanDuration(r.terminatingForSeconds * 1000) : '-';
    out.push(`| \`${r.namespace}\` | ${age} | ${r.verdict} | ${causes.get(r.namespace)?.join(', ') ?? '-'} |`);
  }
  out.push('', `_${list.stats.requests} requests, ${list.stats.bytesReceived} bytes, ${list.stats.durationMs} ms_`, '');
  return details ? [out.join('\n'), ...list.items.map((r) => renderMarkdown(r, level))].join('\n') : out.join('\n');
}
