/**
 * Renders HTML in Debian's headless Chromium (`chromium`, installed by
 * scripts/install-test-deps.sh), offline. Without it the rendering tests skip with the reason,
 * except under CI=true, where they fail.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';

const CHROMIUM = '/usr/bin/chromium';

const missing = existsSync(CHROMIUM) ? null : `${CHROMIUM} is not installed (Debian package chromium)`;
if (missing && process.env.CI === 'true') throw new Error(`${missing}: run scripts/install-test-deps.sh`);
if (missing) console.warn(`skipping report rendering tests: ${missing}; run scripts/install-test-deps.sh`);

export const chromiumAvailable = missing === null;

function run(args: string[], profileDir: string): string {
  const result = spawnSync(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--hide-scrollbars',
      `--user-data-dir=${profileDir}`,
      ...args,
    ],
    { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
  );
  if (result.status !== 0) throw new Error(`chromium failed (${result.status}): ${result.stderr}`);
  return result.stdout;
}

export interface Rendering {
  /** The DOM after load, as Chromium serialized it. */
  readonly dom: string;
  readonly screenshot: DecodedPng;
}

/**
 * Loads `html` from a file (network disabled by the flags above), dumps the DOM after load and
 * takes a screenshot of a `width` × `height` viewport.
 */
export function render(html: string, width: number, height: number): Rendering {
  const dir = mkdtempSync(join(tmpdir(), 'mlops-report-'));
  try {
    const page = join(dir, 'page.html');
    writeFileSync(page, html);
    const dom = run(['--dump-dom', `file://${page}`], join(dir, 'profile-dom'));
    const png = join(dir, 'shot.png');
    run(
      [`--screenshot=${png}`, `--window-size=${width},${height}`, `file://${page}`],
      join(dir, 'profile-shot'),
    );
    return { dom, screenshot: decodePng(readFileSync(png)) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface DecodedPng {
  readonly width: number;
  readonly height: number;
  /** RGBA, 4 bytes per pixel. */
  readonly pixels: Uint8Array;
}

/** Decodes an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes). */
export function decodePng(data: Buffer): DecodedPng {
  let offset = 8;
  let width = 0;
  let height = 0;
  let colorType = 0;
  const idat: Buffer[] = [];
  while (offset < data.length) {
    const length = data.readUInt32BE(offset);
    const type = data.toString('ascii', offset + 4, offset + 8);
    const body = data.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      if (body[8] !== 8 || body[12] !== 0) throw new Error('only 8-bit non-interlaced PNGs are supported');
      colorType = body[9] as number;
    } else if (type === 'IDAT') idat.push(body);
    offset += 12 + length;
  }
  const channels = colorType === 6 ? 4 : colorType === 2 ? 3 : 0;
  if (channels === 0) throw new Error(`unsupported PNG color type ${colorType}`);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = new Uint8Array(width * height * 4);
  let previous = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)] as number;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const current = new Uint8Array(stride);
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? (current[x - channels] as number) : 0;
      const b = previous[x] as number;
      const c = x >= channels ? (previous[x - channels] as number) : 0;
      let predictor = 0;
      if (filter === 1) predictor = a;
      else if (filter === 2) predictor = b;
      else if (filter === 3) predictor = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      current[x] = ((line[x] as number) + predictor) & 0xff;
    }
    for (let x = 0; x < width; x++) {
      for (let ch = 0; ch < 3; ch++) out[(y * width + x) * 4 + ch] = current[x * channels + ch] as number;
      out[(y * width + x) * 4 + 3] = channels === 4 ? (current[x * channels + 3] as number) : 255;
    }
    previous = current;
  }
  return { width, height, pixels: out };
}

/** Pixels within `tolerance` per channel of the hex color `#rrggbb`. */
export function countPixels(png: DecodedPng, hex: string, tolerance = 8): number {
  const r = Number.parseInt(hex.slice(1, 3), 16);
  const g = Number.parseInt(hex.slice(3, 5), 16);
  const b = Number.parseInt(hex.slice(5, 7), 16);
  let count = 0;
  for (let i = 0; i < png.pixels.length; i += 4) {
    if (
      Math.abs((png.pixels[i] as number) - r) <= tolerance &&
      Math.abs((png.pixels[i + 1] as number) - g) <= tolerance &&
      Math.abs((png.pixels[i + 2] as number) - b) <= tolerance
    ) {
      count++;
    }
  }
  return count;
}
