/**
 * The small part of the ustar format model packages need: writing regular files and directories,
 * and reading regular files back (with pax and GNU long names, which Python's `tarfile` writes).
 */
import { ModelPackageError } from './errors.ts';

export interface TarEntry {
  /** Path inside the archive; a trailing `/` marks a directory. */
  readonly path: string;
  readonly data?: Uint8Array;
}

const BLOCK = 512;

/** An uncompressed tar archive of the entries, in order. */
export function writeTar(entries: readonly TarEntry[], mtime = Math.floor(Date.now() / 1000)): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const entry of entries) {
    const directory = entry.path.endsWith('/');
    const data = directory ? new Uint8Array(0) : (entry.data ?? new Uint8Array(0));
    const name = Buffer.from(entry.path, 'utf8');
    if (name.length > 100) throw new ModelPackageError(`tar path ${entry.path} is longer than 100 bytes`);
    const header = new Uint8Array(BLOCK);
    header.set(name, 0);
    writeOctal(header, 100, 8, directory ? 0o755 : 0o644);
    writeOctal(header, 108, 8, 0);
    writeOctal(header, 116, 8, 0);
    writeOctal(header, 124, 12, data.length);
    writeOctal(header, 136, 12, mtime);
    header.fill(32, 148, 156);
    header[156] = directory ? 53 : 48; // '5' directory, '0' file
    header.set(Buffer.from('ustar\u000000', 'latin1'), 257);
    let sum = 0;
    for (const byte of header) sum += byte;
    writeOctal(header, 148, 7, sum);
    parts.push(header, data);
    const pad = (BLOCK - (data.length % BLOCK)) % BLOCK;
    if (pad > 0) parts.push(new Uint8Array(pad));
  }
  parts.push(new Uint8Array(BLOCK * 2));
  return Buffer.concat(parts);
}

/** The regular files and directories of a tar archive. */
export function readTar(archive: Uint8Array): TarEntry[] {
  const entries: TarEntry[] = [];
  let offset = 0;
  let longName: string | undefined;
  while (offset + BLOCK <= archive.length) {
    const header = archive.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) break;
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : (header[i] as number);
    if (sum !== readOctal(header, 148, 8))
      throw new ModelPackageError('archive is not a valid tar file (bad header checksum)');
    const size = readOctal(header, 124, 12);
    const type = String.fromCharCode(header[156] as number);
    const data = archive.subarray(offset + BLOCK, offset + BLOCK + size);
    if (data.length < size) throw new ModelPackageError('archive is truncated');
    offset += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'x') {
      const path = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(Buffer.from(data).toString('utf8'));
      longName = path?.[1];
      continue;
    }
    if (type === 'L') {
      longName = Buffer.from(data).toString('utf8').replace(/\0+$/, '');
      continue;
    }
    const prefix = cString(header, 345, 155);
    const path = longName ?? (prefix ? `${prefix}/${cString(header, 0, 100)}` : cString(header, 0, 100));
    longName = undefined;
    if (type === '0' || type === '\0') entries.push({ path, data: new Uint8Array(data) });
    else if (type === '5') entries.push({ path: path.endsWith('/') ? path : `${path}/` });
  }
  return entries;
}

function writeOctal(header: Uint8Array, offset: number, length: number, value: number): void {
  const text = value.toString(8).padStart(length - 1, '0');
  header.set(Buffer.from(text, 'latin1'), offset);
  header[offset + length - 1] = 0;
}

function readOctal(header: Uint8Array, offset: number, length: number): number {
  const text = cString(header, offset, length).trim();
  return text === '' ? 0 : Number.parseInt(text, 8);
}

function cString(header: Uint8Array, offset: number, length: number): string {
  const slice = header.subarray(offset, offset + length);
  const end = slice.indexOf(0);
  return Buffer.from(end === -1 ? slice : slice.subarray(0, end)).toString('utf8');
}
