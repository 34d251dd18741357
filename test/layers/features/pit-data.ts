/**
 * Generated data for point-in-time tests, and the brute-force reference the SQL must agree with:
 * late and out-of-order source rows spread over several files, rows with equal event times told
 * apart by created time, entity rows exactly on a source row's time and exactly on TTL edges,
 * entities without any source rows, NULL feature values, and three views (string key, int key,
 * composite key).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import type { ResolvedFeature } from '../../../layers/features/definitions.ts';
import type { ViewSpec } from '../../../layers/features/registry-store.ts';

type Row = Record<string, string | number | boolean | Date | null>;

export interface GeneratedView {
  readonly spec: ViewSpec;
  readonly rows: Row[];
  readonly files: string[];
  readonly features: ResolvedFeature[];
}

export interface GeneratedData {
  readonly entityRows: Row[];
  readonly entityFile: string;
  readonly views: GeneratedView[];
}

/** Deterministic PRNG (mulberry32). */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const T0 = Date.UTC(2024, 0, 1);
const at = (seconds: number) => new Date(T0 + seconds * 1000);

function spec(
  name: string,
  joinKeys: ViewSpec['joinKeys'],
  ttl: number,
  features: ViewSpec['features'],
  created: boolean,
): ViewSpec {
  return {
    name,
    entities: joinKeys.map((key) => key.name.replace('_id', '')),
    source: {
      table: `s3://mlops-lakehouse/tables/${name}`,
      eventTimeColumn: 'event_ts',
      ...(created ? { createdTimeColumn: 'created_ts' } : {}),
    },
    ttl,
    features,
    joinKeys,
    entityVersions: {},
  };
}

export function generateData(dir: string, seed = 7, entityCount = 400): GeneratedData {
  const rand = random(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(rand() * items.length)] as T;
  const customers = Array.from({ length: 30 }, (_, i) => `c${i}`);
  const merchants = Array.from({ length: 12 }, (_, i) => i + 1);
  const views: GeneratedView[] = [];

  // customer_stats: string key, created time breaks ties, ttl 600 s, NULLs in a feature.
  const customerRows: Row[] = [];
  for (const customer of customers.slice(0, 25)) {
    for (let i = 0; i < 12; i += 1) {
      const event = Math.floor(rand() * 5000);
      const copies = rand() < 0.3 ? 2 : 1; // equal event times, different created times
      for (let c = 0; c < copies; c += 1) {
        customerRows.push({
          customer_id: customer,
          event_ts: at(event),
          created_ts: at(event + 10 + i * 3 + c),
          spend: Math.round(rand() * 10_000) / 100,
          segment: rand() < 0.15 ? null : pick(['a', 'b', 'c']),
        });
      }
    }
  }
  views.push(
    view(
      spec(
        'customer_stats',
        [{ name: 'customer_id', type: 'string' }],
        600,
        [
          { name: 'spend', type: 'float64' },
          { name: 'segment', type: 'string' },
        ],
        true,
      ),
      customerRows,
    ),
  );

  // merchant_risk: int64 key, no created time (event times unique per key), no TTL.
  const merchantRows: Row[] = [];
  for (const merchant of merchants.slice(0, 10)) {
    const times = new Set<number>();
    while (times.size < 8) times.add(Math.floor(rand() * 5000));
    for (const event of times) {
      merchantRows.push({
        merchant_id: merchant,
        event_ts: at(event),
        risk: Math.floor(rand() * 100),
        flagged: rand() < 0.5,
      });
    }
  }
  views.push(
    view(
      spec(
        'merchant_risk',
        [{ name: 'merchant_id', type: 'int64' }],
        0,
        [
          { name: 'risk', type: 'int64' },
          { name: 'flagged', type: 'bool' },
        ],
        false,
      ),
      merchantRows,
    ),
  );

  // pair_counts: composite key (customer, merchant), created time, ttl 1200 s.
  const pairRows: Row[] = [];
  for (let i = 0; i < 300; i += 1) {
    const event = Math.floor(rand() * 5000);
    pairRows.push({
      customer_id: pick(customers),
      merchant_id: pick(merchants),
      event_ts: at(event),
      created_ts: at(event + i),
      pair_count: i,
    });
  }
  views.push(
    view(
      spec(
        'pair_counts',
        [
          { name: 'customer_id', type: 'string' },
          { name: 'merchant_id', type: 'int64' },
        ],
        1200,
        [{ name: 'pair_count', type: 'int64' }],
        true,
      ),
      pairRows,
    ),
  );

  // Entity rows: random times, plus times exactly on a source row and exactly on TTL edges.
  const entityRows: Row[] = [];
  for (let i = 0; i < entityCount; i += 1) {
    const customer = pick(customers);
    const merchant = pick(merchants);
    const kind = rand();
    let time = Math.floor(rand() * 6000);
    const sameCustomer = customerRows.filter((row) => row.customer_id === customer);
    if (kind < 0.2 && sameCustomer.length > 0) time = seconds(pick(sameCustomer).event_ts as Date);
    else if (kind < 0.3 && sameCustomer.length > 0) time = seconds(pick(sameCustomer).event_ts as Date) + 600;
    else if (kind < 0.4 && sameCustomer.length > 0) time = seconds(pick(sameCustomer).event_ts as Date) + 599;
    entityRows.push({
      customer_id: customer,
      merchant_id: merchant,
      event_timestamp: at(time),
      label: i % 2,
    });
  }

  const entityFile = join(dir, 'entities.parquet');
  writeParquet(entityFile, entityRows, {
    customer_id: 'STRING',
    merchant_id: 'INT64',
    event_timestamp: 'TIMESTAMP',
    label: 'INT32',
  });
  const files = (name: string, rows: Row[], types: Record<string, string>) => {
    // Out of order and late: shuffled, then split over three files as three appends would be.
    const shuffled = [...rows].sort(() => rand() - 0.5);
    const third = Math.ceil(shuffled.length / 3);
    return [0, 1, 2].map((part) => {
      const file = join(dir, `${name}-${part}.parquet`);
      writeParquet(file, shuffled.slice(part * third, (part + 1) * third), types);
      return file;
    });
  };
  const [customerView, merchantView, pairView] = views as [GeneratedView, GeneratedView, GeneratedView];
  customerView.files.push(
    ...files('customer_stats', customerRows, {
      customer_id: 'STRING',
      event_ts: 'TIMESTAMP',
      created_ts: 'TIMESTAMP',
      spend: 'DOUBLE',
      segment: 'STRING',
    }),
  );
  merchantView.files.push(
    ...files('merchant_risk', merchantRows, {
      merchant_id: 'INT64',
      event_ts: 'TIMESTAMP',
      risk: 'INT64',
      flagged: 'BOOLEAN',
    }),
  );
  pairView.files.push(
    ...files('pair_counts', pairRows, {
      customer_id: 'STRING',
      merchant_id: 'INT64',
      event_ts: 'TIMESTAMP',
      created_ts: 'TIMESTAMP',
      pair_count: 'INT64',
    }),
  );
  return { entityRows, entityFile, views };
}

function view(viewSpec: ViewSpec, rows: Row[]): GeneratedView {
  return {
    spec: viewSpec,
    rows,
    files: [],
    features: viewSpec.features.map((feature) => ({
      view: viewSpec.name,
      viewVersion: 1,
      feature: feature.name,
      type: feature.type,
      column: `${viewSpec.name}__${feature.name}`,
    })),
  };
}

const seconds = (date: Date) => (date.getTime() - T0) / 1000;

function writeParquet(file: string, rows: Row[], types: Record<string, string>): void {
  const columnData = Object.entries(types).map(([name, type]) => ({
    name,
    type: type as 'STRING',
    data: rows.map((row) =>
      type === 'INT64' && row[name] !== null ? BigInt(row[name] as number) : row[name],
    ) as never[],
  }));
  writeFileSync(file, Buffer.from(parquetWriteBuffer({ columnData })));
}

/** The brute-force point-in-time join: for each entity row and view, scan every source row. */
export function referenceJoin(data: GeneratedData): Row[] {
  return data.entityRows.map((entity) => {
    const out: Row = { ...entity };
    const time = (entity.event_timestamp as Date).getTime();
    for (const generated of data.views) {
      const { spec: viewSpec } = generated;
      let best: Row | undefined;
      for (const row of generated.rows) {
        if (!viewSpec.joinKeys.every((key) => row[key.name] === entity[key.name])) continue;
        const event = (row.event_ts as Date).getTime();
        if (event > time) continue;
        if (!best) {
          best = row;
          continue;
        }
        const bestEvent = (best.event_ts as Date).getTime();
        const created = (row.created_ts as Date | undefined)?.getTime() ?? 0;
        const bestCreated = (best.created_ts as Date | undefined)?.getTime() ?? 0;
        if (event > bestEvent || (event === bestEvent && created > bestCreated)) best = row;
      }
      const live =
        best !== undefined &&
        (viewSpec.ttl === 0 || (best.event_ts as Date).getTime() > time - viewSpec.ttl * 1000);
      for (const feature of generated.features) {
        out[feature.column] = live ? (best?.[feature.feature] ?? null) : null;
      }
    }
    return out;
  });
}
