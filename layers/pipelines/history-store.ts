/**
 * Execution history of locally run pipelines, kept in the `platform` table so that
 * `mlops pipeline history` shows it after the run (Step Functions keeps its own in AWS).
 *
 * Items: pk `PIPELINE#<name>`, sk `EXECUTION#<startedAt>#<executionId>`; gsi1pk `PIPELINE_EXECUTION`,
 * gsi1sk `<startedAt>#<executionId>` lists executions of every pipeline newest first; gsi2pk
 * `EXECUTION#<executionId>` finds one by id. Events are capped so the item stays under DynamoDB's 400 KB.
 */
import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { NotFoundError } from '../runtime/errors.ts';
import type { ExecutionRecord } from './execution.ts';

const MAX_EVENTS = 500;
const MAX_JSON_BYTES = 100_000;

export class ExecutionHistoryStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(client: DynamoDBDocumentClient, table: string) {
    this.#client = client;
    this.#table = table;
  }

  /** Saves (or replaces) an execution's record. */
  async save(record: ExecutionRecord): Promise<void> {
    const events = record.events.length > MAX_EVENTS ? record.events.slice(-MAX_EVENTS) : record.events;
    await this.#client.send(
      new PutCommand({
        TableName: this.#table,
        Item: {
          pk: `PIPELINE#${record.pipeline}`,
          sk: `EXECUTION#${record.startedAt}#${record.executionId}`,
          gsi1pk: 'PIPELINE_EXECUTION',
          gsi1sk: `${record.startedAt}#${record.executionId}`,
          gsi2pk: `EXECUTION#${record.executionId}`,
          gsi2sk: record.pipeline,
          ...record,
          input: capJson(record.input),
          output: capJson(record.output),
          events,
        },
      }),
    );
  }

  /** The newest executions, of one pipeline or of all. */
  async list(options: { pipeline?: string; limit?: number } = {}): Promise<ExecutionRecord[]> {
    const limit = options.limit ?? 20;
    const result = await this.#client.send(
      options.pipeline
        ? new QueryCommand({
            TableName: this.#table,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': `PIPELINE#${options.pipeline}` },
            ScanIndexForward: false,
            Limit: limit,
            ConsistentRead: true,
          })
        : new QueryCommand({
            TableName: this.#table,
            IndexName: 'gsi1',
            KeyConditionExpression: 'gsi1pk = :pk',
            ExpressionAttributeValues: { ':pk': 'PIPELINE_EXECUTION' },
            ScanIndexForward: false,
            Limit: limit,
          }),
    );
    return (result.Items ?? []).map(toRecord);
  }

  /** One execution by id, or NotFoundError. */
  async get(executionId: string): Promise<ExecutionRecord> {
    const result = await this.#client.send(
      new QueryCommand({
        TableName: this.#table,
        IndexName: 'gsi2',
        KeyConditionExpression: 'gsi2pk = :pk',
        ExpressionAttributeValues: { ':pk': `EXECUTION#${executionId}` },
      }),
    );
    const item = result.Items?.[0];
    if (!item) throw new NotFoundError(`no pipeline execution ${executionId}`);
    return toRecord(item);
  }
}

function toRecord(item: Record<string, unknown>): ExecutionRecord {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g1s, gsi2pk: _g2, gsi2sk: _g2s, ...record } = item;
  return record as unknown as ExecutionRecord;
}

/** Keeps large inputs and outputs from overflowing the item: replaced by a note with their size. */
function capJson(value: unknown): unknown {
  if (value === undefined) return undefined;
  const text = JSON.stringify(value);
  return text.length > MAX_JSON_BYTES ? { truncated: true, bytes: text.length } : value;
}
