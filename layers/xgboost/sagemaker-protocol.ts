/**
 * The request and response formats of SageMaker's built-in XGBoost container, shared by the local
 * endpoint, the CLI's `model predict` and the scoring function.
 *
 * Requests are `text/csv` without a header or label column; an empty field (or `nan`) is a missing
 * value. Responses are `text/csv` (the default: one line per row, the prediction, or the class
 * probabilities separated by commas for multi:softprob) or `application/json`
 * (`{"predictions":[{"score":…}]}`). Numbers are printed as numpy prints a float32.
 */
import { ModelInputError } from './errors.ts';
import type { FeatureMatrix } from './evaluator.ts';

export const CSV = 'text/csv';
export const JSON_TYPE = 'application/json';

/** Parses a headerless CSV payload into rows (at most `maxColumns` columns each). */
export function parseCsvPayload(text: string, maxColumns: number): FeatureMatrix {
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  if (lines.length === 0) throw new ModelInputError('the request has no rows');
  const delimiter = lines[0]!.includes(',') ? ',' : lines[0]!.includes('\t') ? '\t' : ',';
  const parsed: Float32Array[] = [];
  let width = 0;
  lines.forEach((line, r) => {
    const fields = line.split(delimiter);
    if (fields.length > maxColumns) {
      throw new ModelInputError(
        `row ${r + 1} has ${fields.length} columns but the model has ${maxColumns} features`,
      );
    }
    const row = new Float32Array(fields.length);
    fields.forEach((field, c) => {
      row[c] = parseCell(field, r, c);
    });
    width = Math.max(width, fields.length);
    parsed.push(row);
  });
  const values = new Float32Array(parsed.length * width).fill(Number.NaN);
  parsed.forEach((row, r) => {
    values.set(row, r * width);
  });
  return { rows: parsed.length, columns: width, values };
}

/** A CSV cell as a number: empty, `nan` and `NaN` are missing; anything else must be numeric. */
export function parseCell(field: string, row: number, column: number): number {
  const text = field.trim().replace(/^"(.*)"$/, '$1');
  if (text === '' || /^[+-]?nan$/i.test(text)) return Number.NaN;
  const value = Number(text);
  if (Number.isNaN(value) || /^0x/i.test(text)) {
    throw new ModelInputError(`row ${row + 1}, column ${column + 1}: "${text}" is not a number`);
  }
  return value;
}

/** The response body for `accept`: CSV lines, or the container's JSON. */
export function formatPredictions(
  predictions: Float32Array,
  rows: number,
  width: number,
  accept: string,
): { contentType: string; body: string } {
  if (accept === JSON_TYPE) {
    const items = [];
    for (let r = 0; r < rows; r++) {
      const score =
        width === 1
          ? (predictions[r] as number)
          : Array.from(predictions.subarray(r * width, (r + 1) * width));
      items.push({ score });
    }
    return { contentType: JSON_TYPE, body: JSON.stringify({ predictions: items }) };
  }
  let body = '';
  for (let r = 0; r < rows; r++) {
    const parts: string[] = [];
    for (let k = 0; k < width; k++) parts.push(float32Repr(predictions[r * width + k] as number));
    body += `${parts.join(',')}\n`;
  }
  return { contentType: CSV, body };
}

/** The Accept value to answer with, or undefined when the container would refuse it (406). */
export function negotiateAccept(accept: string | undefined): string | undefined {
  const value = (accept ?? '').split(';')[0]!.trim().toLowerCase();
  if (value === '' || value === '*/*' || value === CSV) return CSV;
  if (value === JSON_TYPE) return JSON_TYPE;
  return undefined;
}

/** How numpy prints a float32: shortest round-trip digits, scientific below 1e-4 and from 1e16. */
export function float32Repr(value: number): string {
  const f = Math.fround(value);
  if (Number.isNaN(f)) return 'nan';
  if (!Number.isFinite(f)) return f > 0 ? 'inf' : '-inf';
  if (f === 0) return Object.is(f, -0) ? '-0.0' : '0.0';
  let digits = 1;
  while (digits < 9 && Math.fround(Number(f.toPrecision(digits))) !== f) digits++;
  const [mantissa, exp] = f.toExponential(digits - 1).split('e') as [string, string];
  const exponent = Number(exp);
  if (exponent < -4 || exponent >= 16) {
    return `${mantissa}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  const fixed = Number(f.toPrecision(digits)).toFixed(Math.max(0, digits - 1 - exponent));
  return fixed.includes('.') ? fixed : `${fixed}.0`;
}
