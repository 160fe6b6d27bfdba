import { closeSync, openSync, readFileSync, readSync } from 'node:fs';

/**
 * The point-in-time check of a snapshot taken under the acknowledging writer (acked_writes.py):
 * the writer sends each write to a block never written before and logs when it issued it (`a`)
 * and when it was acknowledged (`k`), so each block of the image tells which write, if any, it holds.
 */
const BLOCK = 4096;
const MAGIC = Buffer.from('BPA1');

export interface WriteTimes {
  readonly seq: number;
  readonly block: number;
  /** Epoch ms. */
  readonly issuedAt: number;
  readonly ackedAt?: number;
}

export function writeTimes(log: string): WriteTimes[] {
  const bySeq = new Map<number, { seq: number; block: number; issuedAt: number; ackedAt?: number }>();
  for (const line of readFileSync(log, 'utf8').split('\n')) {
    const [kind, seq, block, at] = line.split(' ');
    if (kind === 'a') bySeq.set(Number(seq), { seq: Number(seq), block: Number(block), issuedAt: Number(at) * 1000 });
    if (kind === 'k') {
      const write = bySeq.get(Number(seq));
      if (write) write.ackedAt = Number(at) * 1000;
    }
  }
  return [...bySeq.values()];
}

/** The writer's stamp in one block (acked_writes.py `stamp`): the sequence number, or undefined for anything else (zeros). */
function stampedSeq(data: Buffer, block: number): number | undefined {
  if (!data.subarray(0, 4).equals(MAGIC)) return undefined;
  const seq = Number(data.readBigUInt64LE(4));
  if (Number(data.readBigUInt64LE(12)) !== block) return undefined;
  // After the 20-byte header the 256-byte pattern repeats from its start (acked_writes.py `stamp`).
  for (let i = 20; i < BLOCK; i++) {
    const expected = (seq * 31 + block * 7 + ((i - 20) % 256)) & 0xff;
    if (data[i] !== expected) return undefined;
  }
  return seq;
}

/** A write on the wrong side of the moment, with what its block of the image holds (a sequence number, or undefined: no stamp). */
export interface MisplacedWrite extends WriteTimes {
  readonly found: number | undefined;
}

export interface PointInTimeCheck {
  /** Writes acknowledged before `ackedBefore` whose stamp is not in the image (must be none). */
  readonly missing: MisplacedWrite[];
  /** Writes issued after `issuedAfter` whose stamp is in the image (must be none). */
  readonly leaked: MisplacedWrite[];
  readonly ackedBeforeCount: number;
  readonly issuedAfterCount: number;
  /** Writes in flight across the moment: either answer is crash-consistent. */
  readonly inFlight: number;
}

/** Reads every written block of `file` (an image: a restored copy's data file) and checks both sides of the moment. */
export function checkPointInTime(file: string, writes: readonly WriteTimes[], moment: { ackedBefore: number; issuedAfter: number }): PointInTimeCheck {
  const fd = openSync(file, 'r');
  const buffer = Buffer.alloc(BLOCK);
  const missing: MisplacedWrite[] = [];
  const leaked: MisplacedWrite[] = [];
  let ackedBeforeCount = 0;
  let issuedAfterCount = 0;
  try {
    for (const write of writes) {
      readSync(fd, buffer, 0, BLOCK, write.block * BLOCK);
      const found = stampedSeq(buffer, write.block);
      if (write.ackedAt !== undefined && write.ackedAt < moment.ackedBefore) {
        ackedBeforeCount++;
        if (found !== write.seq) missing.push({ ...write, found });
      } else if (write.issuedAt > moment.issuedAfter) {
        issuedAfterCount++;
        if (found !== undefined) leaked.push({ ...write, found });
      }
    }
  } finally {
    closeSync(fd);
  }
  return { missing, leaked, ackedBeforeCount, issuedAfterCount, inFlight: writes.length - ackedBeforeCount - issuedAfterCount };
}

/** One line per misplaced write: which kind, its exact times and how far each is from the moment's bounds. */
export function describeMisplaced(kind: 'missing' | 'leaked', writes: readonly MisplacedWrite[], moment: { ackedBefore: number; issuedAfter: number }): string[] {
  const iso = (ms: number | undefined) => (ms === undefined ? 'never' : new Date(ms).toISOString());
  const delta = (ms: number | undefined, from: number) => (ms === undefined ? '' : ` (${(ms - from).toFixed(3)} ms)`);
  const claim = kind === 'missing' ? 'acknowledged before the request, not in the image' : 'issued after pointAt, in the image';
  return writes.map(
    (write) =>
      `${kind} (${claim}): seq ${write.seq} block ${write.block} issued ${iso(write.issuedAt)} acked ${iso(write.ackedAt)}; ` +
      `vs request ${iso(moment.ackedBefore)}: issued${delta(write.issuedAt, moment.ackedBefore)} acked${delta(write.ackedAt, moment.ackedBefore)}; ` +
      `vs pointAt ${iso(moment.issuedAfter)}: issued${delta(write.issuedAt, moment.issuedAfter)} acked${delta(write.ackedAt, moment.issuedAfter)}; ` +
      `image holds ${write.found === undefined ? 'no stamp' : `seq ${write.found}`}`,
  );
}
