import type { RuntimeConfig } from '../../layers/runtime/config.ts';

export interface PlatformInfo {
  readonly stage: string;
  readonly region: string;
  readonly tables: Readonly<Record<string, string | null>>;
  readonly buckets: Readonly<Record<string, string | null>>;
}

/** What a client needs to know to work with this deployment: its stage, region and resource names. */
export function describePlatform(config: RuntimeConfig): PlatformInfo {
  const orNull = (entries: Record<string, string | undefined>) =>
    Object.fromEntries(Object.entries(entries).map(([key, value]) => [key, value ?? null]));
  return {
    stage: config.stage,
    region: config.region,
    tables: orNull(config.tables),
    buckets: orNull(config.buckets),
  };
}
