/**
 * `mlops table create|append|overwrite|read|history|describe|vacuum|optimize <s3-uri>`: the
 * lakehouse from the command line, against the local platform or, with AWS settings, real AWS.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname } from 'node:path';
import { GlueClient } from '@aws-sdk/client-glue';
import type { Command } from 'commander';
import {
  append,
  type ColumnDefinition,
  createTable,
  DynamoDbCatalogStore,
  FsObjectStore,
  formatAligned,
  formatCsv,
  formatJsonLines,
  history,
  inferColumns,
  inferCsvColumns,
  type LakehouseClients,
  lakehouseContext,
  loadSnapshot,
  openParquetFile,
  openTable,
  optimize,
  overwrite,
  parquetFileFields,
  parseCsv,
  parseJsonLines,
  planScan,
  type Row,
  readParquetRows,
  readTable,
  registerTable,
  scanPlanBatches,
  type TableHandle,
  tableExists,
  toJson,
  vacuum,
  writeParquetFile,
} from '../../layers/lakehouse/index.ts';
import { clientConfig } from '../../layers/runtime/aws-clients.ts';
import { type RuntimeConfig, requireTable } from '../../layers/runtime/config.ts';
import { CliError } from '../cli-error.ts';
import { cliConfig } from '../environment.ts';

interface Input {
  readonly rows: Record<string, unknown>[];
  /** The input's schema, inferred on demand (only needed when the table is created). */
  readonly columns: () => ColumnDefinition[];
}

/** Reads `--input` (CSV, JSON lines or Parquet, by `--format` or the file extension). */
export async function readInput(path: string, format?: string): Promise<Input> {
  const kind = (format ?? extname(path).slice(1)).toLowerCase();
  if (kind === 'parquet') {
    const file = await openParquetFile(new FsObjectStore(dirname(path)), basename(path)).catch(
      (error: unknown) => {
        throw new CliError(`cannot read ${path}: ${(error as Error).message}`);
      },
    );
    const fields = parquetFileFields(file);
    const rows = await readParquetRows(file, fields);
    return { rows, columns: () => fields.map((f) => ({ name: f.name, type: f.type, nullable: f.nullable })) };
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(
      `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  if (kind === 'csv') {
    const rows = parseCsv(text);
    const names = rows[0] ? Object.keys(rows[0]) : (text.split(/\r?\n/)[0] ?? '').split(',').filter(Boolean);
    return { rows, columns: () => inferCsvColumns(rows, names) };
  }
  if (kind === 'jsonl' || kind === 'json' || kind === 'ndjson') {
    const rows = parseJsonLines(text);
    return { rows, columns: () => inferColumns(rows) };
  }
  throw new CliError(`unknown input format "${kind}" (use --format csv|jsonl|parquet)`);
}

/** Parses `--schema "id:long,name:string not null"`. */
export function parseSchemaOption(text: string): ColumnDefinition[] {
  const columns: ColumnDefinition[] = [];
  let depth = 0;
  let current = '';
  for (const c of `${text},`) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ',' && depth === 0) {
      if (current.trim() !== '') {
        const match = /^\s*([^:\s]+)\s*:\s*(.+?)(\s+not\s+null)?\s*$/i.exec(current);
        if (!match) throw new CliError(`--schema entries look like name:type, got "${current.trim()}"`);
        columns.push({ name: match[1] as string, type: (match[2] as string).trim(), nullable: !match[3] });
      }
      current = '';
    } else current += c;
  }
  if (columns.length === 0) throw new CliError('--schema needs at least one name:type');
  return columns;
}

interface Session {
  readonly config: RuntimeConfig;
  readonly lake: LakehouseClients;
  readonly table: TableHandle & { readonly uri: string };
}

async function withTable<T>(uri: string, run: (session: Session) => Promise<T>): Promise<T> {
  const config = cliConfig();
  const lake = lakehouseContext(config);
  try {
    return await run({ config, lake, table: openTable(lake, uri) });
  } finally {
    lake.destroy();
  }
}

async function register(session: Session, name?: string): Promise<string> {
  const { config, lake, table } = session;
  const local = config.endpoints.s3 !== undefined;
  const glue = local ? undefined : new GlueClient(clientConfig(config, 'glue'));
  try {
    const result = await registerTable({
      catalog: new DynamoDbCatalogStore(lake.dynamodb, requireTable(config, 'platform')),
      ...(glue ? { glue } : {}),
      stage: config.stage,
      location: table.uri,
      ...(name ? { table: name } : {}),
    });
    return `${result.entry.database}.${result.entry.table}${result.glue ? ` (Glue table ${result.glue})` : ''}`;
  } finally {
    glue?.destroy();
  }
}

function parseInteger(value: string, option: string, min = 0): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new CliError(`${option} must be an integer ≥ ${min}, got ${value}`);
  return n;
}

function txnOption(options: { appId?: string; txnVersion?: string }) {
  if (options.appId === undefined && options.txnVersion === undefined) return {};
  if (options.appId === undefined || options.txnVersion === undefined) {
    throw new CliError('--app-id and --txn-version go together');
  }
  return { txn: { appId: options.appId, version: parseInteger(options.txnVersion, '--txn-version') } };
}

const out = (text: string) => process.stdout.write(text);

export function registerTableCommands(program: Command): void {
  const table = program.command('table').description('Delta Lake tables in the lakehouse bucket');

  table
    .command('create')
    .description('Create an empty table')
    .argument('<s3-uri>', 's3://<lakehouse-bucket>/path/to/table')
    .requiredOption(
      '--schema <columns>',
      'columns as name:type[ not null],... (types: string, long, integer, short, byte, double, float, boolean, date, timestamp, decimal(p,s), binary)',
    )
    .option('--partition-by <columns>', 'partition columns, comma-separated')
    .option('--name <table>', 'catalog table name (default: the last path segment)')
    .option('--description <text>', 'table description')
    .action(
      async (
        uri: string,
        options: { schema: string; partitionBy?: string; name?: string; description?: string },
      ) => {
        await withTable(uri, async (session) => {
          const result = await createTable(session.table, {
            columns: parseSchemaOption(options.schema),
            partitionColumns: options.partitionBy ? options.partitionBy.split(',').map((c) => c.trim()) : [],
            ...(options.description ? { description: options.description } : {}),
          });
          const name = await register(session, options.name);
          out(`created ${session.table.uri} at version ${result.version} as ${name}\n`);
        });
      },
    );

  for (const mode of ['append', 'overwrite'] as const) {
    const command = table
      .command(mode)
      .description(
        mode === 'append'
          ? 'Append rows (creates the table from the input schema when missing)'
          : 'Replace the table content (or the partitions of --replace-where)',
      )
      .argument('<s3-uri>', 's3://<lakehouse-bucket>/path/to/table')
      .requiredOption('--input <file>', 'CSV (with header), JSON lines or Parquet')
      .option('--format <format>', 'csv | jsonl | parquet (default: from the file extension)')
      .option('--partition-by <columns>', 'partition columns when the table is created')
      .option('--merge-schema', 'add new columns of the input to the table (nullable)')
      .option('--app-id <id>', 'idempotent write: application id')
      .option('--txn-version <n>', 'idempotent write: version within the application')
      .option('--name <table>', 'catalog table name when the table is created');
    if (mode === 'overwrite') {
      command.option(
        '--replace-where <predicate>',
        'only replace these partitions, e.g. "day = \'2026-01-01\'"',
      );
    } else {
      command.option('--no-create', 'fail when the table does not exist');
    }
    command.action(
      async (
        uri: string,
        options: {
          input: string;
          format?: string;
          partitionBy?: string;
          mergeSchema?: boolean;
          appId?: string;
          txnVersion?: string;
          name?: string;
          replaceWhere?: string;
          create?: boolean;
        },
      ) => {
        const input = await readInput(options.input, options.format);
        await withTable(uri, async (session) => {
          let created = '';
          if (!(await tableExists(session.table))) {
            if (mode === 'append' && options.create === false)
              throw new CliError(`no table at ${session.table.uri}`);
            const columns = input.columns();
            await createTable(session.table, {
              columns,
              partitionColumns: options.partitionBy
                ? options.partitionBy.split(',').map((c) => c.trim())
                : [],
            });
            const name = await register(session, options.name);
            created = `created ${session.table.uri} from the input's schema (${columns.map((c) => `${c.name}:${String(c.type)}`).join(', ')}) as ${name}\n`;
          }
          const writeOptions = {
            ...txnOption(options),
            ...(options.mergeSchema ? { mergeSchema: true } : {}),
          };
          const result =
            mode === 'append'
              ? await append(session.table, input.rows, writeOptions)
              : await overwrite(session.table, input.rows, {
                  ...writeOptions,
                  ...(options.replaceWhere ? { replaceWhere: options.replaceWhere } : {}),
                });
          out(created);
          out(
            result.skipped
              ? `skipped: ${options.appId} version ${options.txnVersion} was already committed (table at version ${result.version})\n`
              : `${mode === 'append' ? 'appended' : 'overwrote with'} ${result.rows} rows in ${result.addedFiles} files${result.removedFiles ? `, removed ${result.removedFiles} files` : ''}: version ${result.version}\n`,
          );
        });
      },
    );
  }

  table
    .command('read')
    .description('Read rows of a snapshot')
    .argument('<s3-uri>', 's3://<lakehouse-bucket>/path/to/table')
    .option('--version <n>', 'read this version')
    .option('--as-of <timestamp>', 'read the version current at this ISO timestamp')
    .option('--columns <columns>', 'columns to return, comma-separated')
    .option('--where <predicate>', 'filter, e.g. "country = \'FR\' AND amount >= 10"')
    .option('--limit <n>', 'at most this many rows')
    .option('--format <format>', 'jsonl | csv | parquet', 'jsonl')
    .option('--output <file>', 'write to a file instead of stdout (required for parquet)')
    .action(
      async (
        uri: string,
        options: {
          version?: string;
          asOf?: string;
          columns?: string;
          where?: string;
          limit?: string;
          format: string;
          output?: string;
        },
      ) => {
        if (!['jsonl', 'csv', 'parquet'].includes(options.format))
          throw new CliError(`--format must be jsonl, csv or parquet, got ${options.format}`);
        if (options.format === 'parquet' && !options.output)
          throw new CliError('--format parquet needs --output <file>');
        const asOf = options.asOf === undefined ? undefined : new Date(options.asOf);
        if (asOf && Number.isNaN(asOf.getTime()))
          throw new CliError(`--as-of must be an ISO timestamp, got ${options.asOf}`);
        await withTable(uri, async ({ table }) => {
          const scan = {
            ...(options.version !== undefined ? { version: parseInteger(options.version, '--version') } : {}),
            ...(asOf ? { asOf } : {}),
            ...(options.columns ? { columns: options.columns.split(',').map((c) => c.trim()) } : {}),
            ...(options.where ? { where: options.where } : {}),
            ...(options.limit !== undefined ? { limit: parseInteger(options.limit, '--limit') } : {}),
          };
          if (options.format === 'parquet') {
            const { rows, schema } = await readTable(table, scan);
            const fields = scan.columns
              ? scan.columns.map((c) => schema.fields.find((f) => f.name === c)!)
              : schema.fields;
            writeFileSync(options.output as string, (await writeParquetFile(fields, rows)).bytes);
            out(`wrote ${rows.length} rows to ${options.output}\n`);
            return;
          }
          const chunks: string[] = [];
          const emit = (text: string) => (options.output ? chunks.push(text) : out(text));
          const plan = await planScan(table, scan);
          const columns = plan.columns.map((field) => field.name);
          if (options.format === 'csv') emit(formatCsv(columns, []));
          for await (const batch of scanPlanBatches(table, plan, scan.limit)) {
            if (options.format === 'jsonl') emit(formatJsonLines(batch));
            else {
              const csv = formatCsv(columns, batch);
              emit(csv.slice(csv.indexOf('\n') + 1));
            }
          }
          if (options.output) writeFileSync(options.output, chunks.join(''));
        });
      },
    );

  table
    .command('history')
    .description('Commits, newest first')
    .argument('<s3-uri>', 's3://<lakehouse-bucket>/path/to/table')
    .option('--limit <n>', 'at most this many commits')
    .option('--json', 'JSON lines instead of a table')
    .action(async (uri: string, options: { limit?: string; json?: boolean }) => {
      await withTable(uri, async ({ table }) => {
        const entries = await history(
          table,
          options.limit ? { limit: parseInteger(options.limit, '--limit', 1) } : {},
        );
        if (options.json) {
          out(entries.map((e) => `${toJson(e)}\n`).join(''));
          return;
        }
        const rows: Row[] = entries.map((e) => ({
          version: e.version,
          timestamp: e.timestamp,
          operation: e.operation,
          parameters: JSON.stringify(e.operationParameters),
          metrics: JSON.stringify(e.operationMetrics),
        }));
        out(formatAligned(['version', 'timestamp', 'operation', 'parameters', 'metrics'], rows));
      });
    });

  table
    .command('describe')
    .description('Version, protocol, schema, partitioning, files and properties')
    .argument('<s3-uri>', 's3://<lakehouse-bucket>/path/to/table')
    .option('--version <n>', 'describe this version')
    .action(async (uri: string, options: { version?: string }) => {
      await withTable(uri, async ({ table }) => {
        const snapshot = await loadSnapshot(
          table,
          options.version ? { version: parseInteger(options.version, '--version') } : {},
        );
        const bytes = snapshot.files.reduce((sum, f) => sum + f.size, 0);
        const lines = [
          `location    ${table.uri}`,
          `version     ${snapshot.version}`,
          `protocol    reader ${snapshot.protocol.minReaderVersion}, writer ${snapshot.protocol.minWriterVersion}${snapshot.protocol.readerFeatures?.length ? ` (reader features: ${snapshot.protocol.readerFeatures.join(', ')})` : ''}`,
          `id          ${snapshot.metadata.id}`,
          `partitions  ${snapshot.metadata.partitionColumns.join(', ') || '(none)'}`,
          `files       ${snapshot.files.length} (${bytes} bytes)`,
          `properties  ${JSON.stringify(snapshot.metadata.configuration)}`,
          'columns',
          ...snapshot.schema.fields.map(
            (f) =>
              `  ${f.name}  ${typeof f.type === 'string' ? f.type : JSON.stringify(f.type)}${f.nullable ? '' : ' not null'}`,
          ),
        ];
        out(`${lines.join('\n')}\n`);
      });
    });

  table
    .command('vacuum')
    .description('Delete data files no longer referenced and older than the retention')
    .argument('<s3-uri>', 's3://<lakehouse-bucket>/path/to/table')
    .option(
      '--retention-hours <n>',
      "retention (default: the table's delta.deletedFileRetentionDuration, 7 days)",
    )
    .option('--dry-run', 'only list what would be deleted')
    .action(async (uri: string, options: { retentionHours?: string; dryRun?: boolean }) => {
      await withTable(uri, async ({ table }) => {
        const result = await vacuum(table, {
          ...(options.dryRun ? { dryRun: true } : {}),
          ...(options.retentionHours !== undefined
            ? { retentionHours: parseInteger(options.retentionHours, '--retention-hours') }
            : {}),
        });
        out(result.files.map((f) => `${options.dryRun ? 'would delete' : 'deleted'} ${f}\n`).join(''));
        out(`${result.files.length} files ${options.dryRun ? 'would be deleted' : 'deleted'}\n`);
      });
    });

  table
    .command('optimize')
    .description('Bin-pack small files into large ones (one commit, no data change)')
    .argument('<s3-uri>', 's3://<lakehouse-bucket>/path/to/table')
    .option('--target-size-mb <n>', 'target file size in MiB', '128')
    .action(async (uri: string, options: { targetSizeMb: string }) => {
      await withTable(uri, async ({ table }) => {
        const result = await optimize(table, {
          targetSizeBytes: parseInteger(options.targetSizeMb, '--target-size-mb', 1) * 1024 * 1024,
        });
        out(
          result.skipped
            ? `nothing to compact (version ${result.version})\n`
            : `compacted ${result.removedFiles} files into ${result.addedFiles}: version ${result.version}\n`,
        );
      });
    });
}
