import { gunzipSync } from 'node:zlib';
import { FILES_PREFIX, MANIFEST_PATH, ManifestSchema, REPORT_LIMITS, REPORT_ROOT, type ReportLimits, type UnpackedReport } from './report-format';

/** Why an upload is not a report we read: the report ends `failed` with this reason and nothing else changes. */
export class ReportRejectedError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'ReportRejectedError';
  }
}

const BLOCK = 512;
/** Tar headers and padding on top of the file bytes: at most one header, one long-name record and padding per entry. */
const tarOverhead = (limits: ReportLimits) => limits.maxEntries * BLOCK * 4 + 2 * BLOCK * 10;

/**
 * Unpacks an uploaded report without trusting it: gzip only (magic bytes), decompressed output
 * bounded (a gzip bomb stops at the bound instead of filling memory), tar entries that are
 * regular files or directories only (links, devices and FIFOs refused), every path relative,
 * free of `..`, under `report/`, and the file, total and entry caps of the format. Nothing is
 * written to disk: the files are returned as text.
 */
export function unpackReport(upload: Buffer, limits: ReportLimits = REPORT_LIMITS): UnpackedReport {
  if (upload.length > limits.maxUploadBytes) {
    throw new ReportRejectedError(`upload is ${upload.length} bytes; the limit is ${limits.maxUploadBytes} compressed`);
  }
  if (upload.length < 2 || upload[0] !== 0x1f || upload[1] !== 0x8b) {
    throw new ReportRejectedError('upload is not gzip-compressed (no gzip magic bytes); a report is a .tar.gz');
  }
  const bound = limits.maxUnpackedBytes + tarOverhead(limits);
  let tar: Buffer;
  try {
    tar = gunzipSync(upload, { maxOutputLength: bound });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) {
      throw new ReportRejectedError(`upload decompresses to more than ${bound} bytes (a gzip bomb or an oversized report); refused`);
    }
    throw new ReportRejectedError(`upload is not valid gzip: ${(error as Error).message}`);
  }
  return readTar(tar, limits);
}

function readTar(tar: Buffer, limits: ReportLimits): UnpackedReport {
  const files = new Map<string, string>();
  let manifestText: string | undefined;
  let entries = 0;
  let total = 0;
  let offset = 0;
  let longName: string | undefined;
  let paxPath: string | undefined;
  for (;;) {
    if (offset + BLOCK > tar.length) throw new ReportRejectedError('tar archive is truncated (no end-of-archive marker)');
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((byte) => byte === 0)) break;
    if (!checksumMatches(header)) throw new ReportRejectedError(`tar header at byte ${offset} has a bad checksum; not a tar archive`);
    const type = String.fromCharCode(header[156] || 0x30);
    const size = octal(header.subarray(124, 136), offset);
    const dataStart = offset + BLOCK;
    const dataEnd = dataStart + size;
    if (dataEnd > tar.length) throw new ReportRejectedError(`tar entry at byte ${offset} is truncated`);
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    const data = tar.subarray(dataStart, dataEnd);

    if (type === 'L') {
      if (size > 4096) throw new ReportRejectedError('tar long name is longer than 4096 bytes');
      longName = cString(data);
      continue;
    }
    if (type === 'x') {
      paxPath = paxValue(data, 'path') ?? paxPath;
      continue;
    }
    if (type === 'g') continue;
    const name = paxPath ?? longName ?? headerName(header);
    longName = undefined;
    paxPath = undefined;

    entries += 1;
    if (entries > limits.maxEntries) throw new ReportRejectedError(`report has more than ${limits.maxEntries} entries`);
    const path = checkedPath(name);
    if (type === '5') continue;
    if (type !== '0' && type !== '7') {
      throw new ReportRejectedError(`entry ${JSON.stringify(name)} is a ${ENTRY_KINDS[type] ?? `type ${JSON.stringify(type)} entry`}; a report holds regular files and directories only`);
    }
    if (size > limits.maxFileBytes) throw new ReportRejectedError(`file ${path} is ${size} bytes; the limit is ${limits.maxFileBytes}`);
    total += size;
    if (total > limits.maxUnpackedBytes) throw new ReportRejectedError(`report unpacks to more than ${limits.maxUnpackedBytes} bytes`);
    if (path === MANIFEST_PATH) manifestText = data.toString('utf8');
    else if (path.startsWith(FILES_PREFIX)) files.set(path.slice(FILES_PREFIX.length), data.toString('utf8'));
  }
  if (manifestText === undefined) throw new ReportRejectedError(`report has no ${MANIFEST_PATH}`);
  let manifestJson: unknown;
  try {
    manifestJson = JSON.parse(manifestText);
  } catch (error) {
    throw new ReportRejectedError(`${MANIFEST_PATH} is not JSON: ${(error as Error).message}`);
  }
  const manifest = ManifestSchema.safeParse(manifestJson);
  if (!manifest.success) {
    const issue = manifest.error.issues[0];
    throw new ReportRejectedError(`${MANIFEST_PATH} is not a format-1 manifest: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  return { manifest: manifest.data, files };
}

const ENTRY_KINDS: Record<string, string> = {
  '1': 'hard link',
  '2': 'symbolic link',
  '3': 'character device',
  '4': 'block device',
  '6': 'FIFO',
  K: 'long link name',
};

/** A path inside `report/`: relative, no `..`, no empty or NUL segments. */
function checkedPath(raw: string): string {
  const name = raw.replace(/^\.\//, '');
  if (name.startsWith('/')) throw new ReportRejectedError(`entry ${JSON.stringify(raw)} has an absolute path`);
  const segments = name.replace(/\/$/, '').split('/');
  if (segments.some((segment) => segment === '..')) throw new ReportRejectedError(`entry ${JSON.stringify(raw)} climbs out of the report (path traversal)`);
  if (segments.some((segment) => segment === '' || segment === '.' || segment.includes('\0') || segment.includes('\\'))) {
    throw new ReportRejectedError(`entry ${JSON.stringify(raw)} has an invalid path`);
  }
  const path = segments.join('/');
  if (path !== REPORT_ROOT.slice(0, -1) && !path.startsWith(REPORT_ROOT)) {
    throw new ReportRejectedError(`entry ${JSON.stringify(raw)} is outside the top folder ${REPORT_ROOT}`);
  }
  return path;
}

function cString(bytes: Buffer): string {
  const end = bytes.indexOf(0);
  return bytes.subarray(0, end === -1 ? bytes.length : end).toString('utf8');
}

function headerName(header: Buffer): string {
  const name = cString(header.subarray(0, 100));
  const isUstar = header.subarray(257, 262).toString('latin1') === 'ustar';
  const prefix = isUstar ? cString(header.subarray(345, 500)) : '';
  return prefix ? `${prefix}/${name}` : name;
}

function octal(field: Buffer, at: number): number {
  if (field[0] & 0x80) throw new ReportRejectedError(`tar entry at byte ${at} uses a base-256 size (larger than any report file)`);
  const text = cString(field).trim();
  if (!/^[0-7]*$/.test(text)) throw new ReportRejectedError(`tar header at byte ${at} has a malformed size`);
  return text === '' ? 0 : parseInt(text, 8);
}

function checksumMatches(header: Buffer): boolean {
  const stored = parseInt(cString(header.subarray(148, 156)).trim(), 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i += 1) sum += i >= 148 && i < 156 ? 0x20 : header[i];
  return stored === sum;
}

/** One `key=value` record of a pax extended header (`<length> key=value\n`). */
function paxValue(data: Buffer, key: string): string | undefined {
  const text = data.toString('utf8');
  for (const record of text.split('\n')) {
    const match = /^\d+ ([^=]+)=(.*)$/s.exec(record);
    if (match && match[1] === key) return match[2];
  }
  return undefined;
}
