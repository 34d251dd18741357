import { describe, expect, it } from 'vitest';
import {
  type Baseline,
  createBaseline,
  evaluateWindow,
  type MonitoringResult,
} from '../../../../layers/monitoring/evaluate-window.ts';
import { ProfileBuilder, type ProfileSpec } from '../../../../layers/monitoring/profile.ts';
import { QualityAccumulator } from '../../../../layers/monitoring/quality.ts';
import {
  type RunSummary,
  renderReport,
  summarizeRun,
} from '../../../../layers/monitoring/report/html-report.ts';
import { COLORS } from '../../../../layers/monitoring/report/svg-charts.ts';
import { type Drift, FEATURES, sampleRows } from '../synthetic.ts';
import { chromiumAvailable, countPixels, render } from './headless-chromium.ts';

const SPEC: ProfileSpec = { features: FEATURES, prediction: { name: 'prediction', kind: 'numeric' } };

function baseline(): Baseline {
  const holdout = sampleRows(2, 2000);
  return createBaseline({
    model: 'churn',
    version: '3',
    task: 'binary-classification',
    features: FEATURES,
    trainingRows: sampleRows(1, 5000),
    holdout: { predictions: holdout.map((r) => r.prediction), labels: holdout.map((r) => r.label) },
  });
}

function run(base: Baseline, week: number, drift: Drift = {}, rowsToDrop: string[] = []): MonitoringResult {
  const builder = new ProfileBuilder(SPEC);
  const quality = new QualityAccumulator('binary-classification');
  for (const row of sampleRows(500 + week, 1500, drift)) {
    for (const name of rowsToDrop) delete row[name];
    builder.addRow(row);
    quality.add(row.prediction, row.label);
  }
  const start = new Date(Date.UTC(2026, 0, 1 + 7 * week));
  const end = new Date(start.getTime() + 7 * 86_400_000);
  return evaluateWindow({
    model: 'churn',
    window: { start: start.toISOString(), end: end.toISOString() },
    current: builder.finish(),
    quality: quality.finish(),
    baseline: base,
  });
}

describe('renderReport', () => {
  const base = baseline();
  const history: RunSummary[] = [0, 1, 2, 3].map((week) =>
    summarizeRun(run(base, week, { shiftX0: week * 0.1 })),
  );
  const current = run(base, 4, { shiftX0: 0.6, newPlanShare: 0.08 });
  const html = renderReport({ result: current, history, generatedAt: new Date('2026-02-05T06:00:00Z') });

  it('is self-contained: no script, stylesheet, font or image from elsewhere', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\b(src|href)\s*=/i);
    expect(html).not.toMatch(/@import|url\(|@font-face/i);
    expect(html).toMatch(/^<!doctype html>/);
  });

  it('summarizes exactly the features that crossed a threshold', () => {
    const summary = /<p id="summary">(.*?)<\/p>/.exec(html)?.[1];
    expect(summary).toBe('Crossed a threshold: <strong>x0</strong>, <strong>plan</strong>.');
    expect(html).toContain('plan has new categories (&quot;enterprise&quot;)');
  });

  it('says so when the window is empty, and when a feature is missing from the table', () => {
    const empty = evaluateWindow({
      model: 'churn',
      window: { start: '2026-03-01T00:00:00.000Z', end: '2026-03-08T00:00:00.000Z' },
      current: new ProfileBuilder(SPEC).finish(),
      baseline: base,
    });
    const emptyHtml = renderReport({ result: empty, history });
    expect(emptyHtml).toContain('<p id="summary">No inference rows in this window.</p>');
    expect(emptyHtml).toContain('no inference rows between 2026-03-01T00:00:00.000Z');

    const missing = renderReport({ result: run(base, 5, {}, ['region']) });
    expect(missing).toContain('<strong>region</strong>: missing from the window&#39;s data');
    expect(missing).toContain('<p id="summary">Crossed a threshold: <strong>region</strong>.</p>');
  });

  it('says when no labels have been joined yet', () => {
    const unlabeled = evaluateWindow({
      ...current,
      current: new ProfileBuilder(SPEC).finish(),
      baseline: base,
    });
    expect(renderReport({ result: { ...unlabeled, quality: null } })).toContain(
      'No ground-truth labels have been joined to these predictions yet.',
    );
  });
});

describe.runIf(chromiumAvailable)('renderReport in headless Chromium', () => {
  const base = baseline();
  const history: RunSummary[] = [0, 1, 2, 3].map((week) => summarizeRun(run(base, week)));
  const current = run(base, 4, { shiftX0: 0.6, newPlanShare: 0.08 });
  const html = renderReport({ result: current, history });
  // The report itself has no script; this copy adds one that measures what the browser laid out.
  const probe = `<pre id="geometry"></pre><script>
const charts = [...document.querySelectorAll('svg.chart')].map((svg) => ({
  section: svg.closest('[id]')?.id ?? '',
  title: svg.querySelector('.title')?.textContent ?? '',
  box: (({ width, height }) => ({ width, height }))(svg.getBoundingClientRect()),
  marks: [...svg.querySelectorAll('path[data-series]')].map((p) => {
    const b = p.getBBox();
    return { series: p.dataset.series, width: b.width, height: b.height };
  }),
}));
document.getElementById('geometry').textContent = JSON.stringify(charts);
</script>`;
  const rendering = render(html.replace('</body>', `${probe}</body>`), 1400, 1600);
  const geometry = JSON.parse(
    /<pre id="geometry">(.*?)<\/pre>/s.exec(rendering.dom)?.[1]?.replaceAll('&quot;', '"') ?? '[]',
  ) as {
    section: string;
    title: string;
    box: { width: number; height: number };
    marks: { series: string; width: number; height: number }[];
  }[];

  it('draws a baseline-vs-current chart with non-empty bars for every feature and the prediction', () => {
    const distributions = geometry.filter((c) => c.section === 'distributions');
    expect(distributions).toHaveLength(FEATURES.length + 1);
    for (const chart of distributions) {
      expect(chart.box.width).toBeGreaterThan(100);
      for (const series of ['baseline', 'current']) {
        const bars = chart.marks.filter((m) => m.series === series);
        expect(bars.length, `${chart.title} ${series}`).toBeGreaterThan(0);
        expect(bars.every((b) => b.width > 0 && b.height > 0)).toBe(true);
      }
    }
    expect(distributions[0]?.title).toMatch(/^(x0|plan) ⚠/);
  });

  it('draws trend lines over the five runs and quality over time', () => {
    const trends = geometry.filter((c) => c.section === 'trends');
    expect(trends).toHaveLength(FEATURES.length + 2);
    for (const chart of trends) {
      const line = chart.marks.find((m) => m.width > 0);
      expect(line, chart.title).toBeDefined();
      // Five points per series: a line path plus five point markers.
      expect(chart.marks.length).toBe(6);
    }
    const quality = geometry.filter((c) => c.section === 'quality');
    expect(quality.map((c) => c.title)).toEqual(['auc', 'accuracy', 'logLoss', 'labeled predictions']);
    expect(quality.every((c) => c.marks.some((m) => m.width > 0))).toBe(true);
  });

  it('puts baseline and current bars on screen', () => {
    const shot = rendering.screenshot;
    expect(shot.width).toBe(1400);
    expect(countPixels(shot, COLORS.reference)).toBeGreaterThan(2000);
    expect(countPixels(shot, COLORS.current)).toBeGreaterThan(2000);
  });
});
