// The one way out to stdout: picks the renderer for the output format, and is the boundary where strings from the
// cluster or a snapshot are made safe for a terminal (text, markdown) or kept exact but escaped (JSON, YAML).
import type { Report, ReportList } from '../model/report.js';
import type { FixPlan, FixResult } from '../model/plan.js';
import { renderFixResultText, renderPlanText } from './fix.js';
import { renderMarkdownClusters, renderTextClusters, type ClusterListOptions } from './clusters.js';
import { escapeDeep } from './escape.js';
import { renderMarkdown, renderMarkdownList } from './markdown.js';
import { renderJson, renderYaml } from './structured.js';
import { renderText, renderTextList } from './text.js';

export const OUTPUT_FORMATS = ['text', 'json', 'yaml', 'markdown'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export function renderReport(report: Report, format: OutputFormat, color: boolean): string {
  switch (format) {
    case 'json':
      return renderJson(report);
    case 'yaml':
      return renderYaml(report);
    case 'markdown':
      return renderMarkdown(escapeDeep(report));
    case 'text':
      return renderText(escapeDeep(report), color);
  }
}

/**
 * `now`: the clock the reports were diagnosed at; times are drawn relative to it, never to the wall clock, so a list
 * renders the same whenever it is drawn. `details`: with the grouped summary of text and markdown, every namespace's
 * full report (JSON/YAML always have them).
 */
export function renderReportList(list: ReportList, format: OutputFormat, color: boolean, now: Date, details = false): string {
  switch (format) {
    case 'json':
      return renderJson(list);
    case 'yaml':
      return renderYaml(list);
    case 'markdown':
      return renderMarkdownList(escapeDeep(list), details);
    case 'text':
      return renderTextList(escapeDeep(list), color, now, details);
  }
}

/** Many clusters: JSON/YAML as any list (each item and group names its context, `clusters` names every context); `now` as for renderReportList. */
export function renderClusterList(list: ReportList, format: OutputFormat, color: boolean, now: Date, options: ClusterListOptions): string {
  switch (format) {
    case 'json':
      return renderJson(list);
    case 'yaml':
      return renderYaml(list);
    case 'markdown':
      return renderMarkdownClusters(escapeDeep(list), escapeDeep(options));
    case 'text':
      return renderTextClusters(escapeDeep(list), color, escapeDeep(options), now);
  }
}

/** `fix`: the plan (and, after --apply, the result under it in text; alone in JSON/YAML). */
export function renderFix(plan: FixPlan, result: FixResult | undefined, format: OutputFormat, color: boolean): string {
  switch (format) {
    case 'json':
      return renderJson(result ?? plan);
    case 'yaml':
      return renderYaml(result ?? plan);
    default:
      return renderPlanText(escapeDeep(plan), color) + (result ? '\n' + renderFixResultText(escapeDeep(result), color) : '');
  }
}
