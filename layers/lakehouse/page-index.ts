/**
 * Page skipping with the Parquet page index. A file that carries a column index (min, max and
 * null count per data page) and an offset index (each page's first row) for a predicate's column
 * tells which pages of a row group cannot hold a matching row; the scan then decodes the
 * predicate's columns only over the remaining row ranges. The kit writes both indexes
 * (`parquet-engine.ts`); files without them are read whole, as before.
 *
 * Each column is judged alone, the other columns unknown, so a page is dropped only when no row of
 * it can match whatever the other columns hold; the ranges of several columns are intersected.
 */
import { type FileMetaData, readColumnIndex, readOffsetIndex } from 'hyparquet';
import type { ParquetFile } from './parquet-read.ts';
import { type FileFacts, mightMatch, type Predicate } from './predicate.ts';
import type { Row, StructField, StructType } from './schema.ts';

/** Half-open row ranges `[start, end)`, ascending, not overlapping, relative to the file. */
export type RowRanges = readonly (readonly [number, number])[];

type RowGroup = FileMetaData['row_groups'][number];

/**
 * The rows of a row group that may satisfy the predicate, by the page index of each of `fields`
 * that has one; the whole group when none has.
 */
export async function candidateRows(
  file: ParquetFile,
  group: RowGroup,
  groupStart: number,
  context: {
    readonly predicate: Predicate;
    readonly schema: StructType;
    readonly fields: readonly StructField[];
    readonly partitionValues: Row;
  },
): Promise<RowRanges> {
  const groupEnd = groupStart + Number(group.num_rows);
  let ranges: RowRanges = [[groupStart, groupEnd]];
  for (const field of context.fields) {
    const pages = await pageRanges(file, group, groupStart, groupEnd, field, context);
    if (pages) ranges = intersect(ranges, pages);
    if (ranges.length === 0) break;
  }
  return ranges;
}

/** The page ranges of one column that may match, or undefined when the column has no page index. */
async function pageRanges(
  file: ParquetFile,
  group: RowGroup,
  groupStart: number,
  groupEnd: number,
  field: StructField,
  context: { readonly predicate: Predicate; readonly schema: StructType; readonly partitionValues: Row },
): Promise<RowRanges | undefined> {
  const chunk = group.columns.find(
    (column) =>
      column.meta_data?.path_in_schema.length === 1 && column.meta_data.path_in_schema[0] === field.name,
  );
  const element = topLevelElement(file.metadata, field.name);
  if (!chunk || !element || element.num_children) return undefined;
  const { column_index_offset, column_index_length, offset_index_offset, offset_index_length } = chunk;
  if (
    column_index_offset === undefined ||
    column_index_length === undefined ||
    offset_index_offset === undefined ||
    offset_index_length === undefined
  ) {
    return undefined;
  }
  const read = async (offset: bigint, length: number) => {
    const bytes = await file.buffer.slice(Number(offset), Number(offset) + length);
    return { view: new DataView(bytes), offset: 0 };
  };
  const [columnIndex, offsetIndex] = await Promise.all([
    read(column_index_offset, column_index_length).then((reader) => readColumnIndex(reader, element)),
    read(offset_index_offset, offset_index_length).then((reader) => readOffsetIndex(reader)),
  ]);
  const locations = offsetIndex.page_locations;
  if (locations.length !== columnIndex.null_pages.length) return undefined;
  const ranges: [number, number][] = [];
  for (let page = 0; page < locations.length; page++) {
    const start = groupStart + Number(locations[page]?.first_row_index ?? 0);
    const end =
      page + 1 < locations.length ? groupStart + Number(locations[page + 1]?.first_row_index) : groupEnd;
    const rows = end - start;
    const nulls = columnIndex.null_counts?.[page];
    const allNull = columnIndex.null_pages[page] === true;
    const stats: NonNullable<FileFacts['stats']> = {
      numRecords: rows,
      ...(allNull
        ? { nullCount: { [field.name]: rows } }
        : nulls === undefined
          ? {}
          : { nullCount: { [field.name]: Number(nulls) } }),
      ...(allNull
        ? {}
        : {
            minValues: { [field.name]: statForm(columnIndex.min_values[page], field) },
            maxValues: { [field.name]: statForm(columnIndex.max_values[page], field) },
          }),
    };
    if (!mightMatch(context.predicate, { partitionValues: context.partitionValues, stats }, context.schema))
      continue;
    const last = ranges[ranges.length - 1];
    if (last && last[1] === start) last[1] = end;
    else ranges.push([start, end]);
  }
  return ranges;
}

/** The schema element of a top-level column (nested columns' children skipped). */
function topLevelElement(metadata: FileMetaData, name: string): FileMetaData['schema'][number] | undefined {
  const schema = metadata.schema;
  const skip = (index: number): number => {
    let next = index + 1;
    for (let child = 0; child < (schema[index]?.num_children ?? 0); child++) next = skip(next);
    return next;
  };
  let index = 1;
  for (let child = 0; child < (schema[0]?.num_children ?? 0); child++) {
    if (schema[index]?.name === name) return schema[index];
    index = skip(index);
  }
  return undefined;
}

/**
 * A page bound in the form the log's statistics use, which `mightMatch` reads: dates as
 * `YYYY-MM-DD`, timestamps as ISO strings (widened by a millisecond for maxima there), numbers and
 * strings as they are; anything else (decimals, binaries) unknown.
 */
function statForm(value: unknown, field: StructField): unknown {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) return undefined;
    return field.type === 'date' ? value.toISOString().slice(0, 10) : value.toISOString();
  }
  if (field.type === 'string') return typeof value === 'string' ? value : undefined;
  if (typeof value === 'number' || typeof value === 'bigint') return value;
  return undefined;
}

function intersect(a: RowRanges, b: RowRanges): RowRanges {
  const out: [number, number][] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const [aStart, aEnd] = a[i] as readonly [number, number];
    const [bStart, bEnd] = b[j] as readonly [number, number];
    const start = Math.max(aStart, bStart);
    const end = Math.min(aEnd, bEnd);
    if (start < end) out.push([start, end]);
    if (aEnd < bEnd) i++;
    else j++;
  }
  return out;
}
