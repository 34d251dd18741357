/**
 * The local stand-in for Step Functions' `athena:startQueryExecution.sync`, for the statements the
 * kit sends Athena: `UNLOAD (<SELECT>) TO 's3://…/' WITH (format = 'PARQUET', …)`. Each Glue table
 * the SELECT names (`"<database>"."<table>"`) is looked up in the kit's catalog and replaced by the
 * current snapshot's Parquet files of the lakehouse table behind it; DuckDB runs the SELECT and the
 * Parquet it writes is put under the UNLOAD destination, as Athena would. Any other statement is
 * refused, as a failed query: `States.TaskFailed`.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { openDuckDb } from '../../layers/features/duckdb-executor.ts';
import { downloadSnapshot } from '../../layers/features/lakehouse-source.ts';
import { quoteIdentifier, quoteLiteral } from '../../layers/features/point-in-time-sql.ts';
import { DynamoDbCatalogStore, lakehouseContext, openTable } from '../../layers/lakehouse/index.ts';
import { parseS3 } from '../../layers/pipelines/training-data.ts';
import { loadRuntimeConfig, requireTable } from '../../layers/runtime/config.ts';
import type { LocalIntegration } from './pipeline-runner.ts';

const UNLOAD = /^UNLOAD \(\n([\s\S]*)\n\) TO '(s3:\/\/[^']+)' WITH \(format = 'PARQUET'[^)]*\)$/;

/** A failed query, reported as Step Functions reports one: `States.TaskFailed`. */
export class LocalAthenaQueryFailed extends Error {
  override readonly name = 'States.TaskFailed';
}

export function localAthenaQuery(env: Readonly<Record<string, string | undefined>>): LocalIntegration {
  const config = loadRuntimeConfig(env);
  return async (parameters) => {
    const sql = String(parameters.QueryString ?? '');
    const match = UNLOAD.exec(sql);
    if (!match) {
      throw new LocalAthenaQueryFailed(
        'the local Athena runs the UNLOAD statements of the kit only (UNLOAD (<SELECT>) TO ... WITH (format = PARQUET))',
      );
    }
    let select = match[1] as string;
    const destination = parseS3(match[2] as string);
    const lake = lakehouseContext(config, { anyBucket: true });
    const work = mkdtempSync(join(tmpdir(), 'mlops-athena-'));
    try {
      const catalog = await new DynamoDbCatalogStore(lake.dynamodb, requireTable(config, 'platform')).list();
      for (const [index, entry] of catalog.entries()) {
        const relation = `${quoteIdentifier(entry.database)}.${quoteIdentifier(entry.table)}`;
        if (!select.includes(relation)) continue;
        const downloaded = await downloadSnapshot(openTable(lake, entry.location), join(work, `t${index}`));
        select = select.replaceAll(
          relation,
          `read_parquet([${downloaded.files.map(quoteLiteral).join(', ')}])`,
        );
      }
      const file = join(work, 'result.parquet');
      const db = await openDuckDb();
      try {
        await db.connection.run(`COPY (\n${select}\n) TO ${quoteLiteral(file)} (FORMAT PARQUET)`);
      } catch (error) {
        throw new LocalAthenaQueryFailed(`the query failed: ${(error as Error).message}`, { cause: error });
      } finally {
        db.close();
      }
      const id = `local-${Date.now().toString(36)}`;
      await lake.s3.send(
        new PutObjectCommand({
          Bucket: destination.bucket,
          Key: `${destination.key}${id}_part0`,
          Body: readFileSync(file),
        }),
      );
      return {
        QueryExecution: {
          QueryExecutionId: id,
          Query: sql,
          StatementType: 'DML',
          Status: { State: 'SUCCEEDED' },
          WorkGroup: parameters.WorkGroup,
        },
      };
    } finally {
      rmSync(work, { recursive: true, force: true });
      lake.destroy();
    }
  };
}
