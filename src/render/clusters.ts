// Many clusters for people: a headline over every context, then each cluster in the order asked, drawn as one cluster
// is (one namespace's report, or --all's root causes and table); a cluster that could not be read says so, and why.
import { Chalk, type ChalkInstance } from 'chalk';
import type { ClusterStatus, Report, ReportList } from '../model/report.js';
import { renderMarkdown, renderMarkdownList } from './markdown.js';
import { shellQuote } from '../util/shell.js';
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
    clusters: [cluster],
    stats: cluster.stats,
  };
}

function headline(list: ReportList, clusters: ClusterStatus[], options: ClusterListOptions): string {
  const down = clusters.filter((c) => !c.reachable);
  const unreachable = down.length ? `; ${plural(down.length, 'context')} UNREACHABLE: ${down.map((c) => c.context).join(', ')}` : '';
  const unlisted = clusters.filter((c) => c.reachable && c.gaps.length);
  const incomplete = unlisted.length ? `; ${plural(unlisted.length, 'context')} INCOMPLETE: ${unlisted.map((c) => c.context).join(', ')}` : '';
  if (options.namespace !== undefined) {
    const each = clusters.map((c) => `${c.context} ${c.reachable ? verdictWord(list.items.find((r) => r.context === c.context)) : 'UNREACHABLE'}`);
    return `namespace ${options.namespace} in ${plural(clusters.length, 'context')}: ${each.join(', ')}`;
  }
  const terminating = list.items.length ? `${plural(list.items.length, 'namespace')} Terminating: ${verdictCounts(list.items)}` : 'no namespace Terminating';
  return `${plural(clusters.length, 'context')}: ${terminating}${unreachable}${incomplete}`;
}

function verdictWord(report: Report | undefined): string {
  return report ? VERDICT_WORDS[report.verdict]! : 'not diagnosed';
}

const where = (cluster: ClusterStatus) => (cluster.server ? ` (${cluster.server})` : '');

/**
 * Fix commands are written as for one cluster (`kubectl delete apiservice …`): pasted as they are, they act on the
 * current context, which may be another cluster. Each cluster that has any says which context they are for.
 */
function commandNote(part: ReportList): string | undefined {
  const commands = part.items.some((r) => [...r.blockers.flatMap((b) => b.fixes), ...(r.waitingOn ?? [])].some((f) => f.command));
  const context = part.clusters?.[0]?.context;
  return commands && context !== undefined
    ? `commands below are for context ${context}: add --context ${shellQuote(context)} to each kubectl, or switch to it first`
    : undefined;
}

function gapLines(cluster: ClusterStatus): string[] {
  return cluster.gaps.map((g) => `${g.what}: ${g.reason}${g.impact ? ` — ${g.impact}` : ''}`);
}

/** `now`: the clock the reports were diagnosed at (see renderTextList). */
export function renderTextClusters(list: ReportList, color: boolean, options: ClusterListOptions, now: Date): string {
  const c = new Chalk({ level: color ? 1 : 0 });
  const clusters = list.clusters ?? [];
  const parts = [c.bold(headline(list, clusters, options)) + '\n'];
  for (const cluster of clusters) parts.push(textCluster(list, cluster, color, options, c, now));
  parts.push(c.dim(`  ${plural(clusters.length, 'context')}: ${list.stats.requests} requests, ${formatBytes(list.stats.bytesReceived)} received, ${list.stats.durationMs} ms`) + '\n');
  return parts.join('\n');
}

function textCluster(list: ReportList, cluster: ClusterStatus, color: boolean, options: ClusterListOptions, c: ChalkInstance, now: Date): string {
  const title = `── context ${cluster.context}${where(cluster)}`;
  if (!cluster.reachable) {
    return [c.bold.yellow(`${title}: UNREACHABLE — nothing in this cluster was diagnosed`), ...gapLines(cluster).map((line) => c.yellow(`  ? ${line}`))].join('\n') + '\n';
  }
  const part = clusterPart(list, cluster);
  const note = commandNote(part);
  const head = [c.bold(title), ...(note ? [c.dim(`  ${note}`)] : []), ...gapLines(cluster).map((line) => c.yellow(`  ? ${line}`))];
  if (options.namespace !== undefined) return [...head, ...part.items.map((r) => renderText(r, color).trimEnd())].join('\n') + '\n';
  const body = cluster.gaps.length && part.items.length === 0 ? '' : renderTextList(part, color, now, options.details).trimEnd();
  return [...head, ...(body ? [body] : [])].join('\n') + '\n';
}

export function renderMarkdownClusters(list: ReportList, options: ClusterListOptions): string {
  const clusters = list.clusters ?? [];
  const out = [`# ns-doctor: ${headline(list, clusters, options)}`, ''];
  for (const cluster of clusters) {
    out.push(`## Context \`${cluster.context}\`${cluster.server ? ` — ${cluster.server}` : ''}${cluster.reachable ? '' : ' — UNREACHABLE'}`, '');
    if (cluster.gaps.length) out.push(...gapLines(cluster).map((line) => `- ${line}`), '');
    if (!cluster.reachable) continue;
    const part = clusterPart(list, cluster);
    const note = commandNote(part);
    if (note) out.push(`_${note}_`, '');
    if (options.namespace !== undefined) out.push(...part.items.map((r) => renderMarkdown(r, 3)));
    else if (!(cluster.gaps.length && part.items.length === 0)) out.push(renderMarkdownList(part, options.details, 3));
  }
  out.push(`_${plural(clusters.length, 'context')}: ${list.stats.requests} requests, ${list.stats.bytesReceived} bytes, ${list.stats.durationMs} ms_`, '');
  return out.join('\n');
}
