// Markdown for incident tickets.
import type { EvidenceLink, Report, ReportList } from '../model/report.js';

export function renderMarkdown(report: Report): string {
  const out: string[] = [`## ns-doctor: \`${report.namespace}\` — ${report.verdict}`, '', report.summary, ''];
  for (const blocker of report.blockers) {
    out.push(`### ✗ ${blocker.summary} (\`${blocker.id}\`)`, '');
    out.push(...evidenceLines(blocker.evidence));
    out.push('', '**Fixes (safest first)**', '');
    for (const fix of blocker.fixes) {
      out.push(`- *${fix.safety}*: ${fix.description}${fix.cost ? ` — cost: ${fix.cost}` : ''}`);
      if (fix.command) out.push('', '  ```sh', `  ${fix.command}`, '  ```');
    }
    out.push('');
  }
  if (report.waitingOn?.length) {
    out.push('### Waiting on (most decisive first)', '');
    for (const wait of report.waitingOn) {
      out.push(`- ${wait.summary} (\`${wait.reason}\`)`, '', ...evidenceLines(wait.evidence).map((line) => `  ${line}`));
      if (wait.command) out.push('', '  If it takes longer:', '', '  ```sh', `  ${wait.command}`, '  ```');
      out.push('');
    }
  }
  if (report.remaining.length) {
    out.push('### Content left', '', '| type | count | terminating | finalizers |', '|---|---:|---:|---|');
    for (const r of report.remaining) {
      out.push(`| ${r.group ? `${r.resource}.${r.group}` : r.resource} | ${r.count} | ${r.withDeletionTimestamp} | ${Object.entries(r.finalizers).map(([f, n]) => `${f} ×${n}`).join(', ')} |`);
    }
    out.push('');
  }
  if (report.gaps.length) {
    out.push('### Could not see', '');
    for (const g of report.gaps) out.push(`- ${g.what}: ${g.reason}${g.impact ? ` — ${g.impact}` : ''}`);
    out.push('');
  }
  out.push(`_${report.stats.requests} requests, ${report.stats.bytesReceived} bytes, ${report.stats.durationMs} ms_`, '');
  return out.join('\n');
}

export function renderMarkdownList(list: ReportList): string {
  return list.items.map(renderMarkdown).join('\n') || 'No namespace is Terminating.\n';
}

function evidenceLines(evidence: EvidenceLink[]): string[] {
  return evidence.map((e) => `${'  '.repeat(e.depth)}- **${e.ref.kind}** \`${e.ref.namespace ? `${e.ref.namespace}/` : ''}${e.ref.name}\`${e.fact ? ` — ${e.fact}` : ''}`);
}
