// Markdown for incident tickets.
import type { Report, ReportList } from '../model/report.js';

export function renderMarkdown(report: Report): string {
  const out: string[] = [`## ns-doctor: \`${report.namespace}\` — ${report.verdict}`, '', report.summary, ''];
  for (const blocker of report.blockers) {
    out.push(`### ✗ ${blocker.summary} (\`${blocker.id}\`)`, '');
    for (const e of blocker.evidence) {
      out.push(`${'  '.repeat(e.depth)}- **${e.ref.kind}** \`${e.ref.namespace ? `${e.ref.namespace}/` : ''}${e.ref.name}\`${e.fact ? ` — ${e.fact}` : ''}`);
    }
    out.push('', '**Fixes (safest first)**', '');
    for (const fix of blocker.fixes) {
      out.push(`- *${fix.safety}*: ${fix.description}${fix.cost ? ` — cost: ${fix.cost}` : ''}`);
      if (fix.command) out.push('', '  ```sh', `  ${fix.command}`, '  ```');
    }
    for (const warning of blocker.warnings ?? []) out.push(`- ⚠ **warning**: ${warning}`);
    out.push('');
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
