/**
 * `mlops query "SELECT ..."`: SQL over the lakehouse. Locally, DuckDB over the current snapshots
 * of the catalog's tables, named `<database>.<table>` as in Glue/Athena (`mlops_local.orders`).
 */
import type { Command } from 'commander';
import {
  DynamoDbCatalogStore,
  formatAligned,
  formatCsv,
  formatJsonLines,
  lakehouseContext,
  runLocalQuery,
} from '../../layers/lakehouse/index.ts';
import { requireTable } from '../../layers/runtime/config.ts';
import { CliError } from '../cli-error.ts';
import { cliConfig } from '../environment.ts';

export function registerQueryCommand(program: Command): void {
  program
    .command('query')
    .description(
      'Run SQL over the lakehouse tables (locally with DuckDB; names as in Athena: <database>.<table>)',
    )
    .argument('<sql>', 'the query')
    .option('--csv', 'CSV output')
    .option('--json', 'JSON lines output')
    .option('--tables', 'list the tables the query can use, then exit')
    .action(async (sql: string, options: { csv?: boolean; json?: boolean; tables?: boolean }) => {
      if (options.csv && options.json) throw new CliError('choose one of --csv and --json');
      const config = cliConfig();
      if (config.endpoints.s3 === undefined) {
        throw new CliError(
          'mlops query runs on the local platform; in AWS, query the same names with Athena',
        );
      }
      const lake = lakehouseContext(config, { anyBucket: true });
      try {
        const catalog = await new DynamoDbCatalogStore(
          lake.dynamodb,
          requireTable(config, 'platform'),
        ).list();
        if (options.tables) {
          process.stdout.write(
            formatAligned(
              ['name', 'location'],
              catalog.map((e) => ({ name: `${e.database}.${e.table}`, location: e.location })),
            ),
          );
          return;
        }
        const result = await runLocalQuery(lake, catalog, sql);
        const rows = result.rows;
        process.stdout.write(
          options.json
            ? formatJsonLines(rows)
            : options.csv
              ? formatCsv(result.columns, rows)
              : `${formatAligned(result.columns, rows)}(${rows.length} row${rows.length === 1 ? '' : 's'})\n`,
        );
      } finally {
        lake.destroy();
      }
    });
}
