/**
 * The feature store:
 *
 * 1. Training-set generation on DuckDB: 1M entity rows × 10M feature rows in 2 views (5M each,
 *    100k entities, created-time ties, 1-day TTL), the kit's point-in-time SQL next to DuckDB's own
 *    ASOF JOIN doing the same join in the same run (both written to Parquet), with the number of
 *    rows on which the two disagree.
 * 2. Online lookup through the local gateway (`POST /api/2.0/mlops/features/online`) for 1, 10,
 *    50, 100 and 500 entities of a service with 200 features (2 views × 100): p50 and p99 over the
 *    requests, DynamoDB calls per request, and the same BatchGetItem reads timed without the
 *    gateway and function — the rest is the kit's own overhead.
 *
 * The larger lookups run fewer requests (20,000 entities' worth, at least 100), since dynalite is
 * slow. `FEATURES_BENCH_ENTITY_ROWS`, `FEATURES_BENCH_FEATURE_ROWS` and `FEATURES_BENCH_REQUESTS` scale it down.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalPlatform } from '../infra/local/platform.ts';
import { openDuckDb } from '../layers/features/duckdb-executor.ts';
import { materializeRows } from '../layers/features/materialize.ts';
import { DynamoDbOnlineStore, entityKeyOf } from '../layers/features/online-store.ts';
import { pointInTimeStatement, quoteLiteral } from '../layers/features/point-in-time-sql.ts';
import { DynamoDbFeatureRegistryStore, type ViewSpec } from '../layers/features/registry-store.ts';
import { createDocumentClient, createDynamoDbClient } from '../layers/runtime/aws-clients.ts';
import type { BenchRow } from './run.ts';
import { formatMs, quantile, since } from './stats.ts';

const ENTITY_ROWS = Number(process.env.FEATURES_BENCH_ENTITY_ROWS ?? 1_000_000);
const FEATURE_ROWS = Number(process.env.FEATURES_BENCH_FEATURE_ROWS ?? 10_000_000);
const REQUESTS = Number(process.env.FEATURES_BENCH_REQUESTS ?? 1000);
const KEYS = 100_000;
const TTL_SECONDS = 86_400;

/** Feast's published p99 for online reads from DynamoDB with 200 features. */
const FEAST_P99: Record<number, string> = { 10: '105 ms', 50: '194 ms', 100: '321 ms', 500: '1.48 s' };

async function trainingSetRows(): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-bench-features-'));
  const db = await openDuckDb();
  const run = (sql: string) => db.connection.run(sql);
  try {
    const perView = Math.floor(FEATURE_ROWS / 2);
    const file = (name: string) => join(dir, `${name}.parquet`);
    const started = performance.now();
    for (const view of ['a', 'b']) {
      await run(`COPY (
        SELECT 'c' || (hash(i, '${view}k') % ${KEYS}) AS customer_id,
          TIMESTAMP '2024-01-01' + to_seconds((hash(i, '${view}t') % 31536000)::BIGINT) AS event_ts,
          TIMESTAMP '2024-01-01' + to_seconds((hash(i, '${view}c') % 31536000)::BIGINT) AS created_ts,
          (hash(i, '${view}1') % 1000) / 10.0 AS f1, (hash(i, '${view}2') % 100)::BIGINT AS f2,
          (hash(i, '${view}3') % 7)::BIGINT AS f3
        FROM range(${perView}) t(i)) TO ${quoteLiteral(file(view))} (FORMAT PARQUET)`);
    }
    await run(`COPY (
      SELECT 'c' || (hash(i, 'ek') % ${KEYS}) AS customer_id,
        TIMESTAMP '2024-01-01' + to_seconds((hash(i, 'et') % 31536000)::BIGINT) AS event_timestamp,
        (hash(i, 'el') % 2)::INTEGER AS label
      FROM range(${ENTITY_ROWS}) t(i)) TO ${quoteLiteral(file('entities'))} (FORMAT PARQUET)`);
    const generated = since(started);

    const views = ['a', 'b'].map((view) => ({
      name: `view_${view}`,
      relation: `read_parquet(${quoteLiteral(file(view))})`,
      joinKeys: [{ name: 'customer_id', type: 'string' as const }],
      eventTimeColumn: 'event_ts',
      createdTimeColumn: 'created_ts',
      ttlSeconds: TTL_SECONDS,
      features: ['f1', 'f2', 'f3'].map((name) => ({
        name,
        type: name === 'f1' ? ('float64' as const) : ('int64' as const),
        column: `view_${view}__${name}`,
      })),
    }));
    const query = {
      entities: {
        relation: `read_parquet(${quoteLiteral(file('entities'))})`,
        columns: ['customer_id', 'event_timestamp', 'label'],
        timestampColumn: 'event_timestamp',
      },
      views,
    };
    const kitStart = performance.now();
    await run(pointInTimeStatement(query, 'duckdb', file('kit-out')));
    const kit = since(kitStart);

    // DuckDB's ASOF JOIN: the latest row with event_ts <= the entity time per key, TTL applied after.
    const asofSelect = `
      WITH e AS (SELECT *, ROW_NUMBER() OVER () AS row_id FROM read_parquet(${quoteLiteral(file('entities'))}))
      SELECT e.customer_id, e.event_timestamp, e.label,
        ${['a', 'b']
          .flatMap((view) =>
            ['f1', 'f2', 'f3'].map(
              (f) =>
                `CASE WHEN ${view}.event_ts > e.event_timestamp - INTERVAL '${TTL_SECONDS}' SECOND THEN ${view}.${f} END AS view_${view}__${f}`,
            ),
          )
          .join(', ')}
      FROM e
      ASOF LEFT JOIN read_parquet(${quoteLiteral(file('a'))}) a ON e.customer_id = a.customer_id AND e.event_timestamp >= a.event_ts
      ASOF LEFT JOIN read_parquet(${quoteLiteral(file('b'))}) b ON e.customer_id = b.customer_id AND e.event_timestamp >= b.event_ts
      ORDER BY e.row_id`;
    const asofStart = performance.now();
    await run(`COPY (${asofSelect}) TO ${quoteLiteral(file('asof-out'))} (FORMAT PARQUET)`);
    const asof = since(asofStart);

    // Rows where the two disagree (ASOF breaks equal event times arbitrarily; the kit by created time).
    const diff = await db.connection.runAndReadAll(`
      WITH k AS (SELECT *, ROW_NUMBER() OVER () AS n FROM read_parquet(${quoteLiteral(file('kit-out'))})),
           s AS (SELECT *, ROW_NUMBER() OVER () AS n FROM read_parquet(${quoteLiteral(file('asof-out'))}))
      SELECT COUNT(*) AS differing FROM k JOIN s USING (n)
      WHERE k.view_a__f1 IS DISTINCT FROM s.view_a__f1 OR k.view_b__f1 IS DISTINCT FROM s.view_b__f1
         OR k.view_a__f2 IS DISTINCT FROM s.view_a__f2 OR k.view_b__f2 IS DISTINCT FROM s.view_b__f2`);
    const differing = Number(diff.getRowObjectsJS()[0]?.differing ?? 0);
    const size = `${(ENTITY_ROWS / 1e6).toFixed(ENTITY_ROWS < 1e6 ? 2 : 0)}M entity rows × ${(FEATURE_ROWS / 1e6).toFixed(FEATURE_ROWS < 1e6 ? 2 : 0)}M feature rows (2 views)`;
    return [
      {
        measurement: `training set, ${size}, DuckDB, to Parquet`,
        kit: formatMs(kit),
        anchor: `DuckDB ASOF JOIN ${formatMs(asof)}`,
        note: `${differing} rows differ (ASOF breaks equal event times arbitrarily; data generated in ${formatMs(generated)})`,
      },
    ];
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The online-lookup rows alone (also run by themselves when profiling the read path). */
export async function onlineRows(): Promise<BenchRow[]> {
  const platform = await startLocalPlatform({ port: 0 });
  const client = createDynamoDbClient(platform.config);
  const documents = createDocumentClient(client);
  try {
    const registry = new DynamoDbFeatureRegistryStore(documents, 'mlops_feature_registry');
    const online = new DynamoDbOnlineStore(documents, 'mlops_online_store');
    const now = new Date().toISOString();
    const customers = Array.from({ length: 1000 }, (_, i) => `c${i}`);
    const specs: ViewSpec[] = ['wide_a', 'wide_b'].map((name) => ({
      name,
      entities: ['customer'],
      source: { table: `s3://mlops-lakehouse/bench/${name}`, eventTimeColumn: 'ts' },
      ttl: 0,
      features: Array.from({ length: 100 }, (_, i) => ({ name: `f${i}`, type: 'float64' as const })),
      joinKeys: [{ name: 'customer_id', type: 'string' as const }],
      entityVersions: {},
    }));
    for (const spec of specs) {
      await registry.createVersion({
        kind: 'featureView',
        name: spec.name,
        version: 1,
        revision: 1,
        spec,
        createdAt: now,
        updatedAt: now,
      });
      await materializeRows({
        view: { name: spec.name, version: 1, spec },
        batches: [
          customers.map((customer_id, c) => ({
            customer_id,
            ts: new Date(),
            ...Object.fromEntries(spec.features.map((feature, f) => [feature.name, c * 0.5 + f])),
          })),
        ],
        tableVersion: 1,
        store: online,
      });
    }
    await registry.createVersion({
      kind: 'featureService',
      name: 'wide',
      version: 1,
      revision: 1,
      spec: {
        name: 'wide',
        features: specs.map((spec) => ({ view: spec.name })),
        resolved: specs.flatMap((spec) =>
          spec.features.map((feature) => ({
            view: spec.name,
            viewVersion: 1,
            feature: feature.name,
            type: feature.type,
            column: `${spec.name}__${feature.name}`,
          })),
        ),
      },
      createdAt: now,
      updatedAt: now,
    });

    const rows: BenchRow[] = [];
    for (const count of [1, 10, 50, 100, 500]) {
      // dynalite serves ~1.5k items/s here, so the larger sizes run fewer requests to finish in minutes.
      const requests = Math.min(REQUESTS, Math.max(100, Math.floor(20_000 / count)));
      const latencies: number[] = [];
      const direct: number[] = [];
      let calls = 0;
      for (let r = 0; r < requests + 10; r += 1) {
        const ids = Array.from(
          { length: count },
          (_, i) => customers[(r * 37 + i * 7) % customers.length] as string,
        );
        const started = performance.now();
        const response = await fetch(`${platform.url}/api/2.0/mlops/features/online`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ featureService: 'wide', entities: { customer_id: ids } }),
        });
        const body = (await response.json()) as { results?: unknown[] };
        const elapsed = since(started);
        if (response.status !== 200 || body.results?.length !== 200)
          throw new Error(`lookup failed: ${response.status}`);
        const keys = ids.flatMap((customer_id) =>
          specs.map((spec) => ({
            entityKey: entityKeyOf(spec.joinKeys, { customer_id }),
            view: spec.name,
            viewVersion: 1,
          })),
        );
        const directStart = performance.now();
        const read = await online.read(keys);
        const directElapsed = since(directStart);
        if (r >= 10) {
          // the first 10 requests warm up the function (cold start, registry cache)
          latencies.push(elapsed);
          direct.push(directElapsed);
          calls += read.calls;
        }
      }
      rows.push({
        measurement: `online lookup, ${count} entit${count === 1 ? 'y' : 'ies'} × 200 features, local gateway: p50 / p99`,
        kit: `${formatMs(quantile(latencies, 0.5))} / ${formatMs(quantile(latencies, 0.99))}`,
        anchor: FEAST_P99[count] ? `Feast p99 ${FEAST_P99[count]} (published, DynamoDB)` : '—',
        note: `${requests} requests; ${(calls / requests).toFixed(0)} BatchGetItem calls/request; BatchGetItem alone p50 ${formatMs(quantile(direct, 0.5))}`,
      });
    }
    return rows;
  } finally {
    client.destroy();
    await platform.stop();
  }
}

export async function run(): Promise<BenchRow[]> {
  return [...(await trainingSetRows()), ...(await onlineRows())];
}
