/**
 * Reading parts of a snapshot view (docs/snapshots.md, "Incremental"): its dirty map with
 * `nbdinfo --map=qemu:dirty-bitmap:<name>`, and the byte ranges of the chunks to read, in order,
 * into a pipe with libnbd's Python binding (nbdcopy copies whole images only). Both are libnbd
 * clients of the view's read-only TLS-PSK export, like the whole-image read.
 */
import type { BitmapExtent } from '../../core/snapshots/chunk-ranges';
import { runCommand } from '../util/run-command';
import { SnapshotPointError } from './snapshot-errors';

/** Debian's interpreter: python3-libnbd is installed for it, not for other Pythons on PATH. */
const PYTHON = '/usr/bin/python3';

/** At most this much per NBD read (the server's limit is 32 MiB). */
export const RANGE_REQUEST_BYTES = 16 * 1024 * 1024;

/** argv: URI, request size, then offset and length pairs; writes each range's bytes to stdout in order. */
const READ_RANGES_SCRIPT = `
import sys, nbd
h = nbd.NBD()
h.set_uri_allow_local_file(True)
h.connect_uri(sys.argv[1])
request = int(sys.argv[2])
numbers = [int(value) for value in sys.argv[3:]]
out = sys.stdout.buffer
for offset, length in zip(numbers[0::2], numbers[1::2]):
    end = offset + length
    while offset < end:
        size = min(request, end - offset)
        out.write(h.pread(size, offset))
        offset += size
out.flush()
h.shutdown()
`;

/** The command that writes the view's bytes in `ranges` (byte offset, length) to stdout, in order. */
export function rangeReadCommand(uri: string, ranges: readonly (readonly [offset: number, length: number])[]): string[] {
  return [PYTHON, '-c', READ_RANGES_SCRIPT, uri, String(RANGE_REQUEST_BYTES), ...ranges.flatMap(([offset, length]) => [String(offset), String(length)])];
}

interface NbdinfoExtent {
  offset: number;
  length: number;
  type: number;
}

/** The extents of the exported bitmap `bitmap` over the whole view (type 1: dirty). */
export async function readDirtyMap(clientPrefix: readonly string[], uri: string, bitmap: string): Promise<BitmapExtent[]> {
  const [file, ...args] = [...clientPrefix, 'nbdinfo', '--json', `--map=qemu:dirty-bitmap:${bitmap}`, uri];
  let stdout: string;
  try {
    stdout = (await runCommand(file, args, { timeoutMs: 120_000 })).stdout;
  } catch (error) {
    throw new SnapshotPointError(`could not read the dirty map ${bitmap} of the snapshot view: ${(error as Error).message}`);
  }
  return (JSON.parse(stdout) as NbdinfoExtent[]).map((extent) => ({ offset: extent.offset, length: extent.length, dirty: (extent.type & 1) === 1 }));
}
