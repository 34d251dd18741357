/**
 * The feature store's declarative definitions: entities, feature views and feature services, as a
 * user writes them in a definitions file (see `definition-file.ts` for the YAML form), validated
 * with zod.
 *
 * - An **entity** names what features describe (a customer) and its join keys with their types.
 * - A **feature view** reads typed features from one lakehouse table, keyed by the join keys of
 *   its entities, stamped with an event-time column (and optionally a created-time column that
 *   breaks ties between rows with the same event time), valid for `ttl` after their event time.
 * - A **feature service** is a named, ordered bundle of features from one or more views: what a
 *   model is trained on and scored with.
 */
import { z } from 'zod';

/** SQL-safe identifiers: they become column names in generated SQL (always quoted there too). */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

const Identifier = z
  .string()
  .regex(IDENTIFIER, 'must start with a letter or underscore and contain only letters, digits and _');

/** Names of objects (entities, views, services): lower-case so that they are unambiguous in keys. */
const ObjectName = z
  .string()
  .regex(/^[a-z][a-z0-9_]*$/, 'must start with a lower-case letter and contain only a-z, 0-9 and _')
  .max(64, 'must be at most 64 characters');

export const JOIN_KEY_TYPES = ['string', 'int64'] as const;
export const FEATURE_TYPES = ['string', 'int64', 'int32', 'float64', 'float32', 'bool'] as const;

export type JoinKeyType = (typeof JOIN_KEY_TYPES)[number];
export type FeatureType = (typeof FEATURE_TYPES)[number];

const TTL_UNITS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/**
 * A time-to-live: `30d`, `12h`, `90m`, `45s`, `2w`, a number of seconds, or `none` (never
 * expires). Parsed to whole seconds; 0 means no limit.
 */
export const TtlSchema = z.union([z.number(), z.string()]).transform((value, context) => {
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0) return value;
    context.addIssue({ code: 'custom', message: `ttl must be a whole number of seconds >= 0, got ${value}` });
    return z.NEVER;
  }
  if (value === 'none') return 0;
  const match = /^(\d+)([smhdw])$/.exec(value);
  if (!match) {
    context.addIssue({
      code: 'custom',
      message: `ttl must look like 30d, 12h, 90m, 45s, 2w or be none, got '${value}'`,
    });
    return z.NEVER;
  }
  return Number(match[1]) * (TTL_UNITS[match[2] as string] as number);
});

export const JoinKeySchema = z.strictObject({
  name: Identifier,
  type: z.enum(JOIN_KEY_TYPES),
});

export const EntitySchema = z.strictObject({
  name: ObjectName,
  description: z.string().optional(),
  joinKeys: z.array(JoinKeySchema).min(1, 'an entity needs at least one join key'),
});

export const FeatureSchema = z.strictObject({
  name: Identifier,
  type: z.enum(FEATURE_TYPES),
  description: z.string().optional(),
});

export const FeatureViewSchema = z.strictObject({
  name: ObjectName,
  description: z.string().optional(),
  entities: z.array(ObjectName).min(1, 'a feature view needs at least one entity'),
  source: z.strictObject({
    /** Lakehouse table URI (`s3://bucket/prefix`). */
    table: z.string().min(1),
    eventTimeColumn: Identifier,
    createdTimeColumn: Identifier.optional(),
  }),
  ttl: TtlSchema,
  features: z.array(FeatureSchema).min(1, 'a feature view needs at least one feature'),
});

export const FeatureServiceSchema = z.strictObject({
  name: ObjectName,
  description: z.string().optional(),
  features: z
    .array(
      z.strictObject({
        view: ObjectName,
        /** Feature names of the view, in order; all of the view's features when omitted. */
        features: z.array(Identifier).min(1).optional(),
      }),
    )
    .min(1, 'a feature service needs at least one view'),
});

export const DefinitionsSchema = z.strictObject({
  entities: z.array(EntitySchema).default([]),
  featureViews: z.array(FeatureViewSchema).default([]),
  featureServices: z.array(FeatureServiceSchema).default([]),
});

export type JoinKey = z.infer<typeof JoinKeySchema>;
export type Entity = z.infer<typeof EntitySchema>;
export type Feature = z.infer<typeof FeatureSchema>;
export type FeatureView = z.infer<typeof FeatureViewSchema>;
export type FeatureService = z.infer<typeof FeatureServiceSchema>;
export type Definitions = z.infer<typeof DefinitionsSchema>;

export type ObjectKind = 'entity' | 'featureView' | 'featureService';

/** One feature of a service, resolved against its view's stored version. */
export interface ResolvedFeature {
  readonly view: string;
  readonly viewVersion: number;
  readonly feature: string;
  readonly type: FeatureType;
  /** Column name in training sets and scoring vectors: `<view>__<feature>`. */
  readonly column: string;
}

/** The column name a service feature gets in training sets and feature vectors. */
export function featureColumn(view: string, feature: string): string {
  return `${view}__${feature}`;
}

/** Formats seconds the way the definitions file writes them (`7d`, `90m`, `none`). */
export function formatTtl(seconds: number): string {
  if (seconds === 0) return 'none';
  for (const unit of ['d', 'h', 'm']) {
    const size = TTL_UNITS[unit] as number;
    if (seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}
