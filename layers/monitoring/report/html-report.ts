/**
 * The monitoring report: one self-contained HTML file (inline CSS and SVG, no script, no external
 * resource) with what drifted and by how much, per-feature distributions baseline vs current,
 * metric trends over past runs and quality over time when labels exist.
 */
import type { ColumnDrift } from '../compare-profiles.ts';
import type { MonitoringResult, MonitoringWindow } from '../evaluate-window.ts';
import type { QualityMetrics } from '../quality.ts';
import type { Alarm } from '../thresholds.ts';
import { barChart, COLORS, escapeXml, lineChart, paletteColor } from './svg-charts.ts';

/** What the trend charts need from one past run. */
export interface RunSummary {
  readonly window: MonitoringWindow;
  readonly rows: number;
  readonly alarms: number;
  /** Per feature against the baseline: PSI for numeric features, Jensen–Shannon distance for categorical. */
  readonly drift: Readonly<Record<string, number | null>>;
  readonly predictionDrift: number | null;
  readonly quality: QualityMetrics | null;
}

export interface ReportInput {
  readonly result: MonitoringResult;
  /** Earlier runs, oldest first (the current run is appended). */
  readonly history?: readonly RunSummary[];
  readonly generatedAt?: Date;
}

/** The main drift number of a compared column: PSI (numeric) or Jensen–Shannon distance (categorical). */
export function headlineDrift(column: ColumnDrift | null | undefined): number | null {
  if (!column) return null;
  if (column.numeric) return column.numeric.psi;
  if (column.categorical) return column.categorical.jsDistance;
  return null;
}

export function summarizeRun(result: MonitoringResult): RunSummary {
  const drift: Record<string, number | null> = {};
  for (const column of result.againstBaseline?.features ?? []) drift[column.column] = headlineDrift(column);
  return {
    window: result.window,
    rows: result.rows,
    alarms: result.alarms.length,
    drift,
    predictionDrift: headlineDrift(result.againstBaseline?.prediction),
    quality: result.quality,
  };
}

const f3 = (x: number | null | undefined) =>
  x === null || x === undefined || !Number.isFinite(x)
    ? '—'
    : Math.abs(x) >= 1000
      ? x.toFixed(0)
      : x.toPrecision(3);
const pct = (x: number | null | undefined) =>
  x === null || x === undefined ? '—' : `${(x * 100).toFixed(1)}%`;
const day = (iso: string) => iso.slice(0, 10);

export function renderReport(input: ReportInput): string {
  const { result } = input;
  const runs = [...(input.history ?? []), summarizeRun(result)];
  const title = `Monitoring — ${result.model}${result.modelVersion ? ` v${result.modelVersion}` : ''}`;
  const body = [
    header(result, input.generatedAt ?? new Date()),
    summary(result),
    featureTable(result),
    distributions(result),
    trends(result, runs),
    qualitySection(runs),
  ].join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(title)}</title>
<style>${STYLE}</style></head>
<body><main>
<h1>${escapeXml(title)}</h1>
${body}
</main></body></html>
`;
}

const STYLE = `body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;margin:0;background:#fff}
main{max-width:1320px;margin:0 auto;padding:16px 24px}
h1{font-size:22px;margin:4px 0}h2{font-size:17px;margin:22px 0 8px;border-bottom:1px solid #ddd}
.meta{color:#555;font-size:13px}.badge{display:inline-block;padding:2px 8px;border-radius:10px;color:#fff;font-weight:600}
.ok{background:${COLORS.ok}}.alarm{background:${COLORS.alarm}}.no-data{background:#777}
table{border-collapse:collapse;font-size:13px}td,th{border-bottom:1px solid #eee;padding:3px 8px;text-align:left}
tr.drifted td{background:#fdecea}.num{text-align:right;font-variant-numeric:tabular-nums}
.grid{display:flex;flex-wrap:wrap;gap:10px}.chart{font-size:10px;fill:${COLORS.text};border:1px solid #eee}
.chart .title{font-size:12px;font-weight:600}ul.notes{font-size:13px;color:#555}`;

function header(result: MonitoringResult, generatedAt: Date): string {
  const label = result.outcome === 'alarm' ? `${result.alarms.length} alarm(s)` : result.outcome;
  return `<p class="meta"><span class="badge ${result.outcome}">${escapeXml(label)}</span>
window ${escapeXml(result.window.start)} → ${escapeXml(result.window.end)} · ${result.rows} rows
${result.previousWindow ? ` · previous window ${escapeXml(day(result.previousWindow.start))} → ${escapeXml(day(result.previousWindow.end))}` : ''}
· generated ${escapeXml(generatedAt.toISOString())}</p>`;
}

function summary(result: MonitoringResult): string {
  const drifted = [...new Set(result.alarms.map((a) => a.subject))];
  const sentence =
    result.outcome === 'no-data'
      ? 'No inference rows in this window.'
      : drifted.length === 0
        ? 'Nothing crossed a threshold.'
        : `Crossed a threshold: ${drifted.map((s) => `<strong>${escapeXml(s)}</strong>`).join(', ')}.`;
  const rows = result.alarms.map((a: Alarm) => {
    return `<tr class="drifted"><td>${escapeXml(a.subject)}</td><td>${escapeXml(a.kind)}</td><td>${escapeXml(a.statistic)}</td><td class="num">${f3(a.value)}</td><td class="num">${f3(a.threshold)}</td><td>${escapeXml(a.comparison)}</td><td>${escapeXml(a.message)}</td></tr>`;
  });
  const table =
    rows.length > 0
      ? `<table><thead><tr><th>subject</th><th>kind</th><th>statistic</th><th>value</th><th>threshold</th><th>against</th><th>detail</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
      : '';
  const notes =
    result.notes.length > 0
      ? `<ul class="notes">${result.notes.map((n) => `<li>${escapeXml(n)}</li>`).join('')}</ul>`
      : '';
  return `<h2>Summary</h2><p id="summary">${sentence}</p>${table}${notes}`;
}

function featureTable(result: MonitoringResult): string {
  const base = result.againstBaseline;
  if (!base) return '';
  const previous = new Map((result.againstPrevious?.features ?? []).map((c) => [c.column, c]));
  const alarmed = new Set(result.alarms.map((a) => a.subject));
  const columns = [
    ...base.features,
    ...(base.prediction ? [{ ...base.prediction, column: 'prediction' }] : []),
  ];
  const rows = columns.map((c) => {
    const prev = c.column === 'prediction' ? result.againstPrevious?.prediction : previous.get(c.column);
    const stat = c.numeric
      ? `PSI ${f3(c.numeric.psi)} · KS ${f3(c.numeric.ks.statistic)} (p ${f3(c.numeric.ks.pValue)})`
      : c.categorical
        ? `JS ${f3(c.categorical.jsDistance)} · χ² p ${f3(c.categorical.chiSquare.pValue)}${c.categorical.newCategories.length > 0 ? ` · new: ${c.categorical.newCategories.map((n) => n.value).join(', ')}` : ''}`
        : '—';
    return `<tr${alarmed.has(c.column) ? ' class="drifted"' : ''}><td>${escapeXml(c.column)}</td><td>${c.kind}</td><td>${c.status}</td><td class="num">${pct(c.nullRate?.reference)} → ${pct(c.nullRate?.current)}</td><td>${escapeXml(stat)}</td><td class="num">${f3(headlineDrift(prev))}</td></tr>`;
  });
  return `<h2>Features against the baseline</h2><table><thead><tr><th>feature</th><th>type</th><th>status</th><th>null rate</th><th>drift</th><th>vs previous (PSI / JS)</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function distributions(result: MonitoringResult): string {
  const base = result.againstBaseline;
  if (!base) return '';
  const alarmed = new Set(result.alarms.map((a) => a.subject));
  const columns = [
    ...base.features,
    ...(base.prediction ? [{ ...base.prediction, column: 'prediction' }] : []),
  ]
    // Drifted columns first, so the charts that matter are at the top.
    .sort((a, b) => Number(alarmed.has(b.column)) - Number(alarmed.has(a.column)));
  const charts = columns.map((c) => {
    const marker = alarmed.has(c.column) ? ' ⚠' : '';
    if (c.numeric) {
      const { edges, reference, current } = c.numeric.histogram;
      const labels = reference.map((_, i) => f3(edges[i]));
      return barChart({
        title: `${c.column}${marker} — PSI ${f3(c.numeric.psi)}`,
        labels,
        series: [
          { name: 'baseline', values: reference, color: COLORS.reference },
          { name: 'current', values: current, color: COLORS.current },
        ],
        format: (x) => `${(x * 100).toFixed(0)}%`,
      });
    }
    if (c.categorical) {
      const { labels, reference, current } = c.categorical.categories;
      return barChart({
        title: `${c.column}${marker} — JS ${f3(c.categorical.jsDistance)}`,
        labels,
        series: [
          { name: 'baseline', values: reference, color: COLORS.reference },
          { name: 'current', values: current, color: COLORS.current },
        ],
        format: (x) => `${(x * 100).toFixed(0)}%`,
      });
    }
    return `<div class="chart missing"><p><strong>${escapeXml(c.column)}</strong>: ${escapeXml(statusText(c))}</p></div>`;
  });
  return `<h2>Distributions: baseline vs current</h2><div class="grid" id="distributions">${charts.join('')}</div>`;
}

function statusText(column: ColumnDrift): string {
  switch (column.status) {
    case 'missing':
      return "missing from the window's data";
    case 'all-null':
      return 'every value in the window is null';
    case 'no-reference':
      return 'the baseline has no values for this column';
    case 'kind-changed':
      return 'its type differs from the baseline';
    default:
      return 'not compared';
  }
}

function trends(result: MonitoringResult, runs: readonly RunSummary[]): string {
  const labels = runs.map((r) => day(r.window.end));
  const features = Object.keys(runs.at(-1)?.drift ?? {});
  const charts = [
    lineChart({
      title: 'rows per window',
      labels,
      series: [{ name: 'rows', values: runs.map((r) => r.rows), color: paletteColor(0) }],
    }),
    lineChart({
      title: 'prediction drift (PSI)',
      labels,
      series: [{ name: 'prediction', values: runs.map((r) => r.predictionDrift), color: paletteColor(1) }],
      threshold: { value: result.thresholds.predictionPsi, label: 'alarm' },
    }),
    ...features.map((feature) => {
      const numeric =
        result.againstBaseline?.features.find((c) => c.column === feature)?.kind !== 'categorical';
      const own = result.thresholds.features[feature];
      const threshold = numeric
        ? (own?.psi ?? result.thresholds.psi)
        : (own?.jsDistance ?? result.thresholds.jsDistance);
      return lineChart({
        title: `${feature} — ${numeric ? 'PSI' : 'JS distance'}`,
        labels,
        series: [
          { name: feature, values: runs.map((r) => r.drift[feature] ?? null), color: paletteColor(2) },
        ],
        threshold: { value: threshold, label: 'alarm' },
        width: 320,
        height: 170,
      });
    }),
  ];
  return `<h2>Trends over runs</h2><div class="grid" id="trends">${charts.join('')}</div>`;
}

function qualitySection(runs: readonly RunSummary[]): string {
  const labeled = runs.filter((r) => r.quality && r.quality.labeled > 0);
  if (labeled.length === 0) {
    return '<h2>Quality over time</h2><p>No ground-truth labels have been joined to these predictions yet.</p>';
  }
  const labels = runs.map((r) => day(r.window.end));
  const task = labeled[0]?.quality?.task;
  const metrics: (keyof QualityMetrics)[] =
    task === 'regression' ? ['rmse', 'mae'] : ['auc', 'accuracy', 'logLoss'];
  const charts = metrics.map((metric, i) =>
    lineChart({
      title: metric,
      labels,
      series: [
        {
          name: metric,
          values: runs.map((r) => (r.quality?.[metric] as number | null | undefined) ?? null),
          color: paletteColor(3 + i),
        },
      ],
    }),
  );
  charts.push(
    lineChart({
      title: 'labeled predictions',
      labels,
      series: [
        { name: 'labeled', values: runs.map((r) => r.quality?.labeled ?? null), color: paletteColor(6) },
      ],
    }),
  );
  return `<h2>Quality over time</h2><div class="grid" id="quality">${charts.join('')}</div>`;
}
