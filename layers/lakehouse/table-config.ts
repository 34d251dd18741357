/** Table properties (`metaData.configuration`) the kit interprets, with the protocol's defaults. */

const UNIT_MILLIS: Record<string, number> = {
  millisecond: 1,
  second: 1000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 604_800_000,
};

/** Parses Spark's `interval 7 days` form (also `7 days`, `1 week`) into milliseconds. */
export function parseInterval(text: string): number | undefined {
  const match = /^\s*(?:interval\s+)?(\d+)\s+([a-z]+?)s?\s*$/i.exec(text);
  if (!match) return undefined;
  const unit = UNIT_MILLIS[(match[2] as string).toLowerCase()];
  return unit === undefined ? undefined : Number(match[1]) * unit;
}

/** `delta.deletedFileRetentionDuration` in milliseconds (default 1 week). */
export function retentionMillis(configuration: Readonly<Record<string, string>> | undefined): number {
  const text = configuration?.['delta.deletedFileRetentionDuration'];
  return (text !== undefined ? parseInterval(text) : undefined) ?? UNIT_MILLIS.week!;
}

/** Whether `delta.appendOnly` is set. */
export function isAppendOnly(configuration: Readonly<Record<string, string>> | undefined): boolean {
  return configuration?.['delta.appendOnly'] === 'true';
}
