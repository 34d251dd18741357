/**
 * Inline SVG charts for the monitoring report: grouped bars (histograms, category shares) and
 * lines over runs (trends). Plain strings, no script, no external font or stylesheet, so the report
 * renders the same from a file, an S3 object or an e-mail attachment. Every mark is a `<path>`
 * with a `data-series` attribute, which the rendering test measures.
 */

export interface Series {
  readonly name: string;
  /** One value per label; null leaves a gap. */
  readonly values: readonly (number | null)[];
  readonly color: string;
}

export interface ChartOptions {
  readonly title: string;
  readonly labels: readonly string[];
  readonly series: readonly Series[];
  readonly width?: number;
  readonly height?: number;
  /** Formats axis values. @default three significant digits */
  readonly format?: (value: number) => string;
  /** A horizontal reference line (e.g. the alarm threshold). */
  readonly threshold?: { readonly value: number; readonly label: string };
}

export const COLORS = {
  reference: '#4c78a8',
  current: '#f58518',
  alarm: '#d62728',
  ok: '#2ca02c',
  grid: '#dddddd',
  text: '#333333',
} as const;

const PALETTE = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2', '#eeca3b', '#9d755d'];

/** A color per series index for charts with many lines. */
export function paletteColor(index: number): string {
  return PALETTE[index % PALETTE.length] as string;
}

const MARGIN = { top: 28, right: 12, bottom: 46, left: 52 };

export function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

const round = (x: number) => Math.round(x * 100) / 100;
const defaultFormat = (x: number) => (x === 0 ? '0' : Math.abs(x) >= 1000 ? x.toFixed(0) : x.toPrecision(3));

/** Grouped bars: one group per label, one bar per series. */
export function barChart(options: ChartOptions): string {
  const { width = 420, height = 220 } = options;
  const frame = chartFrame(options, width, height, true);
  const plotWidth = width - MARGIN.left - MARGIN.right;
  const groups = Math.max(options.labels.length, 1);
  const groupWidth = plotWidth / groups;
  const barWidth = (groupWidth * 0.8) / Math.max(options.series.length, 1);
  const marks: string[] = [];
  options.series.forEach((series, s) => {
    series.values.forEach((value, i) => {
      if (value === null || !(value > 0)) return;
      const x = MARGIN.left + i * groupWidth + groupWidth * 0.1 + s * barWidth;
      const y = frame.y(value);
      const h = frame.y(0) - y;
      marks.push(
        `<path data-series="${escapeXml(series.name)}" fill="${series.color}" d="M${round(x)} ${round(frame.y(0))}v${round(-h)}h${round(Math.max(barWidth - 1, 1))}v${round(h)}Z"><title>${escapeXml(`${series.name} ${options.labels[i] ?? ''}: ${frame.format(value)}`)}</title></path>`,
      );
    });
  });
  return frame.wrap(marks.join(''));
}

/** Lines over ordered labels (runs); single points are drawn as small squares. */
export function lineChart(options: ChartOptions): string {
  const { width = 420, height = 220 } = options;
  const frame = chartFrame(options, width, height, false);
  const plotWidth = width - MARGIN.left - MARGIN.right;
  const n = options.labels.length;
  const x = (i: number) => MARGIN.left + (n <= 1 ? plotWidth / 2 : (plotWidth * i) / (n - 1));
  const marks: string[] = [];
  for (const series of options.series) {
    let d = '';
    let pen = false;
    series.values.forEach((value, i) => {
      if (value === null || !Number.isFinite(value)) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${round(x(i))} ${round(frame.y(value))}`;
      pen = true;
    });
    if (d === '') continue;
    marks.push(
      `<path data-series="${escapeXml(series.name)}" fill="none" stroke="${series.color}" stroke-width="2" d="${d}"/>`,
    );
    series.values.forEach((value, i) => {
      if (value === null || !Number.isFinite(value)) return;
      marks.push(
        `<path data-series="${escapeXml(series.name)}" fill="${series.color}" d="M${round(x(i) - 3)} ${round(frame.y(value) - 3)}h6v6h-6Z"><title>${escapeXml(`${series.name} ${options.labels[i] ?? ''}: ${frame.format(value)}`)}</title></path>`,
      );
    });
  }
  return frame.wrap(marks.join(''));
}

interface Frame {
  y(value: number): number;
  format(value: number): string;
  wrap(marks: string): string;
}

function chartFrame(options: ChartOptions, width: number, height: number, fromZero: boolean): Frame {
  const format = options.format ?? defaultFormat;
  const values = options.series.flatMap((s) =>
    s.values.filter((v): v is number => v !== null && Number.isFinite(v)),
  );
  if (options.threshold) values.push(options.threshold.value);
  let lo = fromZero ? 0 : Math.min(...values, Number.POSITIVE_INFINITY);
  let hi = Math.max(...values, Number.NEGATIVE_INFINITY);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
    lo = 0;
    hi = 1;
  }
  if (hi === lo) {
    hi = lo + (Math.abs(lo) || 1);
    if (!fromZero) lo -= (hi - lo) / 2;
  }
  hi += (hi - lo) * 0.05;
  const plotHeight = height - MARGIN.top - MARGIN.bottom;
  const y = (value: number) => MARGIN.top + plotHeight * (1 - (value - lo) / (hi - lo));
  const plotWidth = width - MARGIN.left - MARGIN.right;

  const axis: string[] = [];
  for (let t = 0; t <= 4; t++) {
    const value = lo + ((hi - lo) * t) / 4;
    const yy = round(y(value));
    axis.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${yy}" y2="${yy}" stroke="${COLORS.grid}"/>`,
      `<text x="${MARGIN.left - 4}" y="${yy + 3}" text-anchor="end">${escapeXml(format(value))}</text>`,
    );
  }
  const step = Math.max(1, Math.ceil(options.labels.length / 8));
  const groupWidth = plotWidth / Math.max(options.labels.length, 1);
  options.labels.forEach((label, i) => {
    if (i % step !== 0) return;
    const n = options.labels.length;
    const x = fromZero
      ? MARGIN.left + groupWidth * (i + 0.5)
      : MARGIN.left + (n <= 1 ? plotWidth / 2 : (plotWidth * i) / (n - 1));
    const short = label.length > 14 ? `${label.slice(0, 13)}…` : label;
    axis.push(
      `<text x="${round(x)}" y="${height - MARGIN.bottom + 14}" text-anchor="middle">${escapeXml(short)}</text>`,
    );
  });
  if (options.threshold) {
    const yy = round(y(options.threshold.value));
    axis.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${yy}" y2="${yy}" stroke="${COLORS.alarm}" stroke-dasharray="4 3"/>`,
      `<text x="${MARGIN.left + plotWidth}" y="${yy - 3}" text-anchor="end" fill="${COLORS.alarm}">${escapeXml(options.threshold.label)}</text>`,
    );
  }
  const legend = options.series
    .map(
      (s, i) =>
        `<rect x="${MARGIN.left + i * 110}" y="${height - 16}" width="10" height="10" fill="${s.color}"/><text x="${MARGIN.left + i * 110 + 14}" y="${height - 7}">${escapeXml(s.name)}</text>`,
    )
    .join('');
  return {
    y,
    format,
    wrap: (marks) =>
      `<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(options.title)}"><text class="title" x="${MARGIN.left}" y="16">${escapeXml(options.title)}</text>${axis.join('')}${marks}${legend}</svg>`,
  };
}
