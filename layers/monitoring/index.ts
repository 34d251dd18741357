/**
 * Model monitoring: profiles of inference windows, drift against a baseline and the previous
 * window, quality once labels arrive, threshold alarms, metric tables and the HTML report.
 */
export * from './compare-profiles.ts';
export * from './drift-statistics.ts';
export * from './evaluate-window.ts';
export * from './memory-stores.ts';
export * from './metric-rows.ts';
export type * from './ports.ts';
export * from './profile.ts';
export * from './quality.ts';
export * from './report/html-report.ts';
export * from './run-monitoring.ts';
export * from './thresholds.ts';
