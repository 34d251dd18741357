/**
 * The Parquet encoder: parquet-wasm (the Rust `parquet` crate compiled to WebAssembly), fed an Arrow
 * IPC stream. It writes 1M rows several times faster than the pure-JS writer (README, "Parquet
 * engines"), so every data file goes through it.
 *
 * The 5 MB WebAssembly module is compiled on the first write of a process, not at import, so
 * functions that only read pay nothing. It is looked up beside the running module first (a Lambda
 * bundle carries it there, see `infra/constructs/kit-function.ts`), then in `node_modules`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type * as ParquetWasm from 'parquet-wasm/esm';
import type { StructField } from './schema.ts';

/** File name of the WebAssembly module, beside a bundle or in the package. */
export const PARQUET_WASM_FILE = 'parquet_wasm_bg.wasm';

let engine: typeof ParquetWasm | undefined;

function wasmBytes(): Uint8Array {
  const beside = fileURLToPath(new URL(`./${PARQUET_WASM_FILE}`, import.meta.url));
  if (existsSync(beside)) return readFileSync(beside);
  return readFileSync(createRequire(import.meta.url).resolve(`parquet-wasm/esm/${PARQUET_WASM_FILE}`));
}

/** parquet-wasm, initialised once per process. */
export async function parquetWasm(): Promise<typeof ParquetWasm> {
  if (engine) return engine;
  const module = await import('parquet-wasm/esm');
  module.initSync({ module: wasmBytes() });
  engine = module;
  return module;
}

/**
 * Data page size: small enough that a reader after a few rows of a row group (a selective scan
 * reading the other columns of its matches) decodes a page, not the whole column chunk.
 */
const DATA_PAGE_BYTES = 32 * 1024;

export interface EncodeOptions {
  /** Rows per row group. */
  readonly rowGroupSize: number;
  /** The columns, in the batches' order; strings and binaries get a dictionary, the rest PLAIN. */
  readonly fields: readonly StructField[];
}

/** An Arrow IPC stream of one record batch as a batch in WebAssembly memory (engine loaded). */
export function recordBatchFromIpc(wasm: typeof ParquetWasm, ipc: Uint8Array): ParquetWasm.RecordBatch {
  const table = wasm.Table.fromIPCStream(ipc);
  try {
    const batch = table.recordBatch(0);
    if (!batch) throw new Error('an Arrow IPC stream without a record batch');
    return batch;
  } finally {
    table.free();
  }
}

/**
 * Encodes Arrow record batches (produced lazily) as one Parquet file: snappy, chunk statistics and
 * the page index in the footer, dictionaries for strings and binaries only (trying a dictionary on
 * numeric columns costs 4× the time of the whole write and seldom pays off). The batches are pulled
 * one at a time, so only one exists in memory at once.
 */
export async function encodeParquet(
  batches: Iterable<ParquetWasm.RecordBatch>,
  options: EncodeOptions,
): Promise<Uint8Array> {
  const wasm = await parquetWasm();
  let builder = new wasm.WriterPropertiesBuilder()
    .setCompression(wasm.Compression.SNAPPY)
    .setDictionaryEnabled(false)
    .setStatisticsEnabled(wasm.EnabledStatistics.Page)
    .setDataPageSizeLimit(DATA_PAGE_BYTES)
    .setMaxRowGroupSize(options.rowGroupSize)
    .setCreatedBy('mlops-kit lakehouse (parquet-wasm)');
  for (const field of options.fields) {
    if (field.type === 'string' || field.type === 'binary')
      builder = builder.setColumnDictionaryEnabled(field.name, true);
  }
  const iterator = batches[Symbol.iterator]();
  const input = new ReadableStream<ParquetWasm.RecordBatch>({
    pull(controller) {
      const next = iterator.next();
      if (next.done) {
        controller.close();
        return;
      }
      controller.enqueue(next.value);
    },
  });
  // The stream takes ownership of the properties.
  const output = await wasm.transformParquetStream(input, builder.build());
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of output as ReadableStream<Uint8Array>) {
    chunks.push(chunk);
    length += chunk.byteLength;
  }
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
