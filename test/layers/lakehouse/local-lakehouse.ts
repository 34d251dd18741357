import { type LocalPlatform, startLocalPlatform } from '../../../infra/local/platform.ts';
import { type LakehouseClients, lakehouseContext } from '../../../layers/lakehouse/index.ts';

export interface LocalLakehouse {
  readonly platform: LocalPlatform;
  readonly lake: LakehouseClients;
  readonly bucket: string;
  /** A fresh table URI in the lakehouse bucket. */
  uri(name?: string): string;
  stop(): Promise<void>;
}

let counter = 0;

/** dynalite + fauxqs on free ports with the platform's tables and buckets, and a context on them. */
export async function startLocalLakehouse(): Promise<LocalLakehouse> {
  const platform = await startLocalPlatform({ port: 0 });
  const lake = lakehouseContext(platform.config);
  const bucket = lake.bucket as string;
  return {
    platform,
    lake,
    bucket,
    uri: (name = 'table') => `s3://${bucket}/tests/${name}-${process.pid}-${++counter}`,
    stop: async () => {
      lake.destroy();
      await platform.stop();
    },
  };
}
