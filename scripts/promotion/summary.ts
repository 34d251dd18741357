/** The promotion report as the GitHub job summary (Markdown). */
import type { PromotionReport } from './promote-job.ts';

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

/** Renders a report: outcome, versions, metrics, deployment, smoke test, links. */
export function renderSummary(report: PromotionReport, runUrl?: string): string {
  const ok = report.status === 'promoted';
  const lines = [
    `## ${ok ? '✅ Promoted' : '❌ Promotion failed'}: ${report.model} version ${report.sourceVersion}`,
    '',
    ok
      ? `\`${report.alias}\` in the target now points at version ${report.targetVersion}.`
      : `Failed at **${report.failedStep}**: ${cell(report.error ?? 'unknown error')}. ` +
        `\`${report.alias}\` in the target ${report.finalVersion ? `is at version ${report.finalVersion}` : report.aliasRestored ? 'is unset' : 'is unchanged'}${report.aliasRestored ? ' (moved back)' : ''}.`,
    '',
    '| | |',
    '|---|---|',
    `| model | \`${cell(report.model)}\` |`,
    `| source version | ${report.sourceVersion} |`,
    `| target version | ${report.targetVersion ?? '—'}${report.copiedFiles !== undefined ? ` (${report.copiedFiles} files copied)` : ''} |`,
    `| \`${report.alias}\` before | ${report.previousVersion ?? 'unset'} |`,
    `| \`${report.alias}\` after | ${report.finalVersion ?? (report.aliasRestored ? 'unset' : '—')} |`,
    `| deployment | ${report.deployment ? `${report.deployment.status} ([execution](${report.deployment.link}))` : '—'}${report.endpointType ? `, ${report.endpointType} endpoint` : ''} |`,
    `| smoke test | ${report.smoke ? `${report.smoke.passed ? 'passed' : 'failed'}: ${report.smoke.rows} rows on \`${report.endpointName}\`${report.smoke.reason ? ` (${cell(report.smoke.reason)})` : ''}` : '—'} |`,
  ];
  const metrics = Object.entries(report.metrics).sort(([a], [b]) => a.localeCompare(b));
  lines.push('', '### Metrics of the source version', '');
  if (metrics.length === 0) lines.push('No metrics recorded.');
  else
    lines.push(
      '| metric | value |',
      '|---|---|',
      ...metrics.map(([key, value]) => `| ${cell(key)} | ${value} |`),
    );
  const links = Object.entries({ ...report.links, ...(runUrl ? { run: runUrl } : {}) });
  lines.push('', '### Links', '', ...links.map(([name, url]) => `- ${name}: ${url}`), '');
  return lines.join('\n');
}
