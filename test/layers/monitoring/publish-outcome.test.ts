import { describe, expect, it } from 'vitest';
import { createBaseline, evaluateWindow } from '../../../layers/monitoring/evaluate-window.ts';
import { ProfileBuilder } from '../../../layers/monitoring/profile.ts';
import {
  EVENT_SOURCE,
  METRIC_NAMESPACE,
  metricLines,
  publishOutcome,
  THRESHOLD_CROSSED,
} from '../../../layers/monitoring/publish-outcome.ts';
import { QualityAccumulator } from '../../../layers/monitoring/quality.ts';
import { type DomainEvent, InProcessEventBus } from '../../../layers/runtime/events.ts';
import { type Drift, FEATURES, sampleRows } from './synthetic.ts';

const holdout = sampleRows(2, 1500);
const baseline = createBaseline({
  model: 'churn',
  version: '2',
  task: 'binary-classification',
  features: FEATURES,
  trainingRows: sampleRows(1, 4000),
  holdout: { predictions: holdout.map((r) => r.prediction), labels: holdout.map((r) => r.label) },
});

function result(drift: Drift) {
  const builder = new ProfileBuilder({
    features: FEATURES,
    prediction: { name: 'prediction', kind: 'numeric' },
  });
  const quality = new QualityAccumulator('binary-classification');
  for (const row of sampleRows(77, 1500, drift)) {
    builder.addRow(row);
    quality.add(row.prediction, row.label);
  }
  return evaluateWindow({
    model: 'churn',
    window: { start: '2026-01-01T00:00:00.000Z', end: '2026-01-08T00:00:00.000Z' },
    current: builder.finish(),
    quality: quality.finish(),
    baseline,
  });
}

describe('publishOutcome', () => {
  it('writes one EMF document for the model and one per feature', () => {
    const lines = metricLines(result({ shiftX0: 0.6 }), new Date('2026-01-08T01:00:00Z')).map((l) =>
      JSON.parse(l),
    );
    expect(lines).toHaveLength(1 + FEATURES.length);
    const [model, x0] = lines;
    expect(model._aws).toEqual({
      Timestamp: Date.parse('2026-01-08T01:00:00Z'),
      CloudWatchMetrics: [
        {
          Namespace: METRIC_NAMESPACE,
          Dimensions: [['Model']],
          Metrics: expect.arrayContaining([
            { Name: 'ThresholdsCrossed', Unit: 'Count' },
            { Name: 'AUC', Unit: 'None' },
          ]),
        },
      ],
    });
    expect(model).toMatchObject({ Model: 'churn', Rows: 1500, ThresholdsCrossed: 2, DriftAlarms: 2 });
    expect(x0).toMatchObject({ Model: 'churn', Feature: 'x0' });
    expect(x0.PSI).toBeGreaterThan(0.2);
    // Every metric a document declares is present as a number.
    for (const line of lines) {
      for (const metric of line._aws.CloudWatchMetrics[0].Metrics)
        expect(typeof line[metric.Name]).toBe('number');
    }
  });

  it('announces crossed thresholds as one event, and nothing when none was crossed', async () => {
    const bus = new InProcessEventBus();
    const received: DomainEvent[] = [];
    bus.subscribe(EVENT_SOURCE, (event) => {
      received.push(event);
    });
    const lines: string[] = [];
    await publishOutcome(result({ newPlanShare: 0.08 }), 's3://a/report.html', new Date(), {
      events: bus,
      writeMetrics: (line) => lines.push(line),
    });
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({
      source: EVENT_SOURCE,
      detailType: THRESHOLD_CROSSED,
      resources: ['churn'],
      detail: { model: 'churn', modelVersion: '2', report: 's3://a/report.html' },
    });
    expect((received[0]!.detail.alarms as { subject: string }[]).every((a) => a.subject === 'plan')).toBe(
      true,
    );
    expect(lines.length).toBe(1 + FEATURES.length);

    await publishOutcome(result({}), 's3://a/ok.html', new Date(), { events: bus });
    expect(received).toHaveLength(1);
  });
});
