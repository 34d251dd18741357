/**
 * The demo's dataset on a platform: its lakehouse tables and its feature definitions. Used by
 * `npm run demo` and by the tests that run the pipelines on realistic data.
 *
 *   <root>/customers   one row per customer version (plan changes are new rows, `updated_at`)
 *   <root>/activity    monthly activity; written in monthly commits in the order rows arrived, so
 *                      late rows and restatements land in later commits than their month
 *   <root>/labels      observation points: customer, `event_time`, `churned`
 *
 * Feature views: `activity` (ttl 45 days, created-time aware) and `profile`; feature service
 * `churn` over both.
 */
import { parseDefinitionFile } from '../../layers/features/definition-file.ts';
import { applyPlan, planDefinitions } from '../../layers/features/plan.ts';
import type { FeatureRegistryStore } from '../../layers/features/registry-store.ts';
import { append, createTable, type LakehouseContext, openTable } from '../../layers/lakehouse/index.ts';
import type { ChurnDataset } from './churn-data.ts';

export interface ChurnTables {
  readonly customers: string;
  readonly activity: string;
  readonly labels: string;
}

/** The tables of the dataset under a lakehouse root such as `s3://mlops-lakehouse/demo`. */
export function churnTables(root: string): ChurnTables {
  const base = root.replace(/\/+$/, '');
  return { customers: `${base}/customers`, activity: `${base}/activity`, labels: `${base}/labels` };
}

/** The feature definitions over the dataset's tables. */
export function churnDefinitions(tables: ChurnTables): string {
  return `entities:
  - name: customer
    joinKeys:
      - { name: customer_id, type: string }
featureViews:
  - name: activity
    entities: [customer]
    source:
      table: ${tables.activity}
      eventTimeColumn: event_time
      createdTimeColumn: created_time
    ttl: 45d
    features:
      - { name: sessions, type: int32 }
      - { name: minutes_used, type: float64 }
      - { name: support_tickets, type: int32 }
      - { name: payment_delays, type: int32 }
      - { name: data_gb, type: float64 }
      - { name: last_login_days, type: int32 }
  - name: profile
    entities: [customer]
    source:
      table: ${tables.customers}
      eventTimeColumn: updated_at
    ttl: none
    features:
      - { name: age, type: int32 }
      - { name: monthly_fee, type: float64 }
featureServices:
  - name: churn
    features:
      - view: activity
      - view: profile
`;
}

/** Writes the dataset into its tables; returns how many commits each table got. */
export async function loadChurnTables(
  lake: LakehouseContext,
  data: ChurnDataset,
  tables: ChurnTables,
): Promise<Record<keyof ChurnTables, { rows: number; commits: number }>> {
  const customers = openTable(lake, tables.customers);
  await createTable(customers, {
    description: 'customers (one row per plan change)',
    columns: [
      { name: 'customer_id', type: 'string', nullable: false },
      { name: 'signup_date', type: 'timestamp' },
      { name: 'plan', type: 'string' },
      { name: 'region', type: 'string' },
      { name: 'age', type: 'integer' },
      { name: 'monthly_fee', type: 'double' },
      { name: 'updated_at', type: 'timestamp', nullable: false },
    ],
  });
  await append(customers, data.customers as unknown as Record<string, unknown>[]);

  const activity = openTable(lake, tables.activity);
  await createTable(activity, {
    description: 'monthly customer activity, as it arrived',
    columns: [
      { name: 'customer_id', type: 'string', nullable: false },
      { name: 'event_time', type: 'timestamp', nullable: false },
      { name: 'created_time', type: 'timestamp', nullable: false },
      { name: 'sessions', type: 'integer' },
      { name: 'minutes_used', type: 'double' },
      { name: 'support_tickets', type: 'integer' },
      { name: 'payment_delays', type: 'integer' },
      { name: 'data_gb', type: 'double' },
      { name: 'last_login_days', type: 'integer' },
    ],
  });
  // One commit per month of arrival: a late row or a restatement lands in a later commit.
  const byArrival = new Map<string, Record<string, unknown>[]>();
  for (const row of [...data.activity].sort((a, b) => a.created_time.getTime() - b.created_time.getTime())) {
    const month = row.created_time.toISOString().slice(0, 7);
    const rows = byArrival.get(month) ?? [];
    rows.push(row as unknown as Record<string, unknown>);
    byArrival.set(month, rows);
  }
  for (const rows of byArrival.values()) await append(activity, rows);

  const labels = openTable(lake, tables.labels);
  await createTable(labels, {
    description: 'churn labels at observation points',
    columns: [
      { name: 'customer_id', type: 'string', nullable: false },
      { name: 'event_time', type: 'timestamp', nullable: false },
      { name: 'churned', type: 'integer', nullable: false },
    ],
  });
  await append(labels, data.labels as unknown as Record<string, unknown>[]);
  return {
    customers: { rows: data.customers.length, commits: 1 },
    activity: { rows: data.activity.length, commits: byArrival.size },
    labels: { rows: data.labels.length, commits: 1 },
  };
}

/** Plans and applies the dataset's feature definitions; returns the plan's lines. */
export async function applyChurnFeatures(
  store: FeatureRegistryStore,
  tables: ChurnTables,
): Promise<{ created: number }> {
  const plan = await planDefinitions(parseDefinitionFile(churnDefinitions(tables), 'churn.yaml'), store);
  await applyPlan(plan, store);
  return { created: plan.entries.filter((entry) => entry.action !== 'unchanged').length };
}
