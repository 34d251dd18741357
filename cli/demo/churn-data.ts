/**
 * The demo's dataset: a subscription business with customers, monthly activity and churn labels,
 * generated from a seed so that every run of the demo sees the same data.
 *
 * - `customers`: one row per customer (plan, region, age, monthly fee, signup date).
 * - `activity`: one row per customer and month, stamped at the month's end (`event_time`). About 5%
 *   of rows arrive late (`created_time` days or weeks after `event_time`), and some months are
 *   restated: a second, corrected row for the same month with a later `created_time`.
 * - `labels`: observation points (customer, `event_time`, `churned` within the next 30 days), drawn
 *   from a latent logistic model of recent activity, so a model can learn it.
 * - Drift: from `driftFromMonth` on, `minutes_used` shifts upwards and support tickets rise for
 *   part of the base, and a new plan `enterprise` appears; the other features keep their
 *   distribution. Monitoring must flag exactly those.
 */

export interface Customer {
  customer_id: string;
  signup_date: Date;
  plan: string;
  region: string;
  age: number;
  monthly_fee: number;
  updated_at: Date;
}

export interface Activity {
  customer_id: string;
  event_time: Date;
  created_time: Date;
  sessions: number;
  minutes_used: number;
  support_tickets: number;
  payment_delays: number;
  data_gb: number | null;
  last_login_days: number;
}

export interface Label {
  customer_id: string;
  event_time: Date;
  churned: number;
}

export interface ChurnDataset {
  customers: Customer[];
  activity: Activity[];
  labels: Label[];
  /** First month (0-based from `start`) whose activity is drawn from the drifted distribution. */
  driftFromMonth: number;
  /** Features whose distribution changes from `driftFromMonth` on. */
  driftedFeatures: string[];
}

export interface ChurnOptions {
  /** @default 3000 */
  customers?: number;
  /** @default 12 */
  months?: number;
  /** @default 10 */
  driftFromMonth?: number;
  /** @default 42 */
  seed?: number;
  /** First day of the first month. @default 2025-01-01 */
  start?: Date;
}

const PLANS = ['basic', 'standard', 'premium'] as const;
const REGIONS = ['north', 'south', 'east', 'west'] as const;
const FEES: Record<string, number> = { basic: 9.99, standard: 19.99, premium: 39.99, enterprise: 99 };
const DAY = 86_400_000;

/** Generates the dataset. Same options, same rows. */
export function generateChurnData(options: ChurnOptions = {}): ChurnDataset {
  const count = options.customers ?? 3000;
  const months = options.months ?? 12;
  const driftFromMonth = options.driftFromMonth ?? 10;
  const start = options.start ?? new Date(Date.UTC(2025, 0, 1));
  const random = mulberry32(options.seed ?? 42);
  const normal = () => gaussian(random);

  const customers: Customer[] = [];
  const activity: Activity[] = [];
  const labels: Label[] = [];
  for (let i = 0; i < count; i += 1) {
    const id = `C${String(i + 1).padStart(6, '0')}`;
    const plan = pick(random, PLANS, [0.5, 0.35, 0.15]);
    const signup = new Date(start.getTime() - Math.floor(random() * 720) * DAY);
    customers.push({
      customer_id: id,
      signup_date: signup,
      plan,
      region: pick(random, REGIONS, [0.25, 0.25, 0.25, 0.25]),
      age: Math.round(clamp(38 + 12 * normal(), 18, 85)),
      monthly_fee: FEES[plan] as number,
      updated_at: signup,
    });
    // A customer's latent engagement drives both their activity and their churn risk.
    const engagement = normal();
    const heavyUser = random() < 0.4;
    for (let month = 0; month < months; month += 1) {
      const eventTime = monthEnd(start, month);
      const drifted = month >= driftFromMonth && heavyUser;
      const sessions = Math.max(0, Math.round(20 + 6 * engagement + 4 * normal()));
      const minutes = Math.max(0, 300 + 90 * engagement + 60 * normal() + (drifted ? 240 : 0));
      const tickets = poisson(random, Math.exp(-0.3 * engagement) * (drifted ? 2.5 : 0.6));
      const delays = poisson(random, 0.25 * Math.exp(-0.5 * engagement));
      const dataGb = random() < 0.08 ? null : Math.max(0, 12 + 4 * engagement + 3 * normal());
      const lastLogin = Math.max(0, Math.round(6 - 4 * engagement + 3 * normal()));
      const late = random() < 0.05;
      const created = new Date(
        eventTime.getTime() + (late ? (3 + Math.floor(random() * 25)) * DAY : 3600_000),
      );
      const row: Activity = {
        customer_id: id,
        event_time: eventTime,
        created_time: created,
        sessions,
        minutes_used: round(minutes, 1),
        support_tickets: tickets,
        payment_delays: delays,
        data_gb: dataGb === null ? null : round(dataGb, 2),
        last_login_days: lastLogin,
      };
      activity.push(row);
      if (random() < 0.02) {
        // A restatement: same month, corrected values, recorded later. Point-in-time joins must pick it only after it exists.
        activity.push({
          ...row,
          created_time: new Date(created.getTime() + 2 * DAY),
          sessions: row.sessions + 1,
          minutes_used: round(row.minutes_used * 1.05, 1),
        });
      }
      // Observation points from month 3 on (enough history for the features), three per customer at most.
      if (month >= 3 && month < months - 1 && (month + i) % 3 === 0) {
        const risk =
          -2.2 -
          1.1 * engagement +
          0.45 * tickets +
          0.6 * delays +
          0.08 * lastLogin -
          0.002 * (minutes - 300);
        labels.push({
          customer_id: id,
          event_time: new Date(eventTime.getTime() + 5 * DAY),
          churned: random() < 1 / (1 + Math.exp(-risk)) ? 1 : 0,
        });
      }
    }
    if (random() < 0.03) {
      // An upgrade to the new enterprise plan, effective in the drift period.
      const when = monthEnd(start, Math.min(months - 1, driftFromMonth));
      const customer = customers.at(-1) as Customer;
      customers.push({
        ...customer,
        plan: 'enterprise',
        monthly_fee: FEES.enterprise as number,
        updated_at: when,
      });
    }
  }
  return {
    customers,
    activity,
    labels,
    driftFromMonth,
    driftedFeatures: ['minutes_used', 'support_tickets', 'plan'],
  };
}

function monthEnd(start: Date, month: number): Date {
  return new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + month + 1, 0, 23, 0, 0));
}

/** A small, fast, seedable PRNG (Mulberry32). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(random: () => number): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

function poisson(random: () => number, lambda: number): number {
  const limit = Math.exp(-lambda);
  let k = 0;
  let p = random();
  while (p > limit) {
    k += 1;
    p *= random();
  }
  return k;
}

function pick<T>(random: () => number, values: readonly T[], weights: readonly number[]): T {
  let r = random();
  for (let i = 0; i < values.length; i += 1) {
    r -= weights[i] as number;
    if (r < 0) return values[i] as T;
  }
  return values[values.length - 1] as T;
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
