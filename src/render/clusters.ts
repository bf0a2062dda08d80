// Many clusters for people: a headline over every context, then each cluster in the order asked, drawn as one cluster
// is (one namespace's report, or --all's root causes and table), then each cluster that could not be read, by name.
import { Chalk, type ChalkInstance } from 'chalk';
import type { ClusterStatus, Report, ReportList } from '../model/report.js';
import { renderMarkdown, renderMarkdownList } from './markdown.js';
import { formatBytes, renderText, renderTextList, verdictCounts, VERDICT_WORDS } from './text.js';

export interface ClusterListOptions {
  details: boolean;
  /** The namespace diagnosed in every cluster; unset for --all. */
  namespace?: string;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** One cluster's part of the list, as a one-cluster run would have it. */
function clusterPart(list: ReportList, cluster: ClusterStatus): ReportList {
  return {
    ...list,
    items: list.items.filter((r) => r.context === cluster.context),
    groups: (list.groups ?? []).filter((g) => g.context === cluster.context),
    stats: cluster.stats,
  };
}

function headline(list: ReportList, clusters: ClusterStatus[], options: ClusterListOptions): string {
  const down = clusters.filter((c) => !c.reachable);
  const unreachable = down.length ? `; ${plural(down.length, 'context')} UNREACHABLE: ${down.map((c) => c.context).join(', ')}` : '';
  if (options.namespace !== undefined) {
    const each = clusters.map((c) => `${c.context} ${c.reachable ? verdictWord(list.items.find((r) => r.context === c.context)) : 'UNREACHABLE'}`);
    return `namespace ${options.namespace} in ${plural(clusters.length, 'context')}: ${each.join(', ')}`;
  }
  const terminating = list.items.length ? `${plural(list.items.length, 'namespace')} Terminating: ${verdictCounts(list.items)}` : 'no namespace Terminating';
  return `${plural(clusters.length, 'context')}: ${terminating}${unreachable}`;
}

function verdictWord(report: Report | undefined): string {
  return report ? VERDICT_WORDS[report.verdict]! : 'not diagnosed';
}

const where = (cluster: ClusterStatus) => (cluster.server ? ` (${cluster.server})` : '');

function gapLines(cluster: ClusterStatus): string[] {
  return cluster.gaps.map((g) => `${g.what}: ${g.reason}${g.impact ? ` — ${g.impact}` : ''}`);
}

export function renderTextClusters(list: ReportList, color: boolean, options: ClusterListOptions): string {
  const c = new Chalk({ level: color ? 1 : 0 });
  const clusters = list.clusters ?? [];
  const parts = [c.bold(headline(list, clusters, options)) + '\n'];
  for (const cluster of clusters) parts.push(textCluster(list, cluster, color, options, c));
  parts.push(c.dim(`  ${plural(clusters.length, 'context')}: ${list.stats.requests} requests, ${formatBytes(list.stats.bytesReceived)} received, ${list.stats.durationMs} ms`) + '\n');
  return parts.join('\n');
}

function textCluster(list: ReportList, cluster: ClusterStatus, color: boolean, options: ClusterListOptions, c: ChalkInstance): string {
  const title = `── context ${cluster.context}${where(cluster)}`;
  if (!cluster.reachable) {
    return [c.bold.yellow(`${title}: UNREACHABLE — nothing in this cluster was diagnosed`), ...gapLines(cluster).map((line) => c.yellow(`  ? ${line}`))].join('\n') + '\n';
  }
  const part = clusterPart(list, cluster);
  const gaps = gapLines(cluster).map((line) => c.yellow(`  ? ${line}`));
  if (options.namespace !== undefined) {
    return [c.bold(title), ...gaps, ...part.items.map((r) => renderText(r, color).trimEnd())].join('\n') + '\n';
  }
  const body = cluster.gaps.length && part.items.length === 0 ? '' : renderTextList(part, color, options.details).trimEnd();
  return [c.bold(title), ...gaps, ...(body ? [body] : [])].join('\n') + '\n';
}

export function renderMarkdownClusters(list: ReportList, options: ClusterListOptions): string {
  const clusters = list.clusters ?? [];
  const out = [`# ns-doctor: ${headline(list, clusters, options)}`, ''];
  for (const cluster of clusters) {
    out.push(`## Context \`${cluster.context}\`${cluster.server ? ` — ${cluster.server}` : ''}${cluster.reachable ? '' : ' — UNREACHABLE'}`, '');
    if (cluster.gaps.length) out.push(...gapLines(cluster).map((line) => `- ${line}`), '');
    if (!cluster.reachable) continue;
    const part = clusterPart(list, cluster);
    if (options.namespace !== undefined) out.push(...part.items.map((r) => renderMarkdown(r, 3)));
    else if (!(cluster.gaps.length && part.items.length === 0)) out.push(renderMarkdownList(part, options.details, 3));
  }
  out.push(`_${plural(clusters.length, 'context')}: ${list.stats.requests} requests, ${list.stats.bytesReceived} bytes, ${list.stats.durationMs} ms_`, '');
  return out.join('\n');
}
