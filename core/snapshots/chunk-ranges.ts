/**
 * The chunks an incremental snapshot read (docs/snapshots.md, "Incremental"): runs of chunk
 * indexes `[start, end)`, in order, that cover every chunk the copy's dirty bitmap marked since
 * the parent's point. Every other chunk is the parent's, unchanged; the control plane takes its
 * manifest entry from the parent. The host reports at most MAX_READ_RANGES runs (a command's
 * result is bounded, core/bounded-json.ts): more are joined across their shortest gaps, which
 * only reads a few unchanged chunks again.
 */
import { z } from 'zod';
import { InvalidStateError } from '../errors';
import type { ManifestChunk } from './manifest';

export type ChunkRange = readonly [start: number, end: number];

export const MAX_READ_RANGES = 128;

export const ReadRangesSchema = z
  .array(z.tuple([z.number().int().nonnegative(), z.number().int().positive()]))
  .max(MAX_READ_RANGES)
  .refine((ranges) => ranges.every(([start, end], i) => start < end && (i === 0 || ranges[i - 1][1] < start)), 'ranges must be non-empty, in order and apart');

/** A byte extent of a dirty-bitmap map (nbdinfo --map), dirty or clean. */
export interface BitmapExtent {
  readonly offset: number;
  readonly length: number;
  readonly dirty: boolean;
}

/** The runs of chunks that any dirty extent touches, joined down to `maxRanges`. */
export function dirtyChunkRanges(extents: readonly BitmapExtent[], chunkSizeBytes: number, count: number, maxRanges = MAX_READ_RANGES): ChunkRange[] {
  const ranges: [number, number][] = [];
  for (const extent of extents) {
    if (!extent.dirty || extent.length === 0) continue;
    const start = Math.floor(extent.offset / chunkSizeBytes);
    const end = Math.min(count, Math.ceil((extent.offset + extent.length) / chunkSizeBytes));
    if (start >= end) continue;
    const last = ranges[ranges.length - 1];
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else ranges.push([start, end]);
  }
  return joinShortestGaps(ranges, maxRanges);
}

function joinShortestGaps(ranges: [number, number][], maxRanges: number): ChunkRange[] {
  if (ranges.length <= maxRanges) return ranges;
  const gaps = ranges.slice(1).map((range, i) => ({ at: i, width: range[0] - ranges[i][1] }));
  const joined = new Set(gaps.sort((a, b) => a.width - b.width || a.at - b.at).slice(0, ranges.length - maxRanges).map((gap) => gap.at));
  const result: [number, number][] = [ranges[0]];
  for (let i = 1; i < ranges.length; i++) {
    if (joined.has(i - 1)) result[result.length - 1][1] = ranges[i][1];
    else result.push(ranges[i]);
  }
  return result;
}

export const chunksIn = (ranges: readonly ChunkRange[]): number => ranges.reduce((sum, [start, end]) => sum + end - start, 0);

/** Each range as a byte extent `[offset, length]` of a volume of `sizeBytes` (its last chunk may be short). */
export const byteExtentsOf = (ranges: readonly ChunkRange[], sizeBytes: number, chunkSizeBytes: number): [offset: number, length: number][] =>
  ranges.map(([start, end]) => [start * chunkSizeBytes, Math.min(end * chunkSizeBytes, sizeBytes) - start * chunkSizeBytes]);

export const bytesIn = (ranges: readonly ChunkRange[], sizeBytes: number, chunkSizeBytes: number): number =>
  byteExtentsOf(ranges, sizeBytes, chunkSizeBytes).reduce((sum, [, length]) => sum + length, 0);

export function* indexesIn(ranges: readonly ChunkRange[]): Generator<number> {
  for (const [start, end] of ranges) for (let index = start; index < end; index++) yield index;
}

/** Whether `index` lies in one of the ordered `ranges` (a binary search: a manifest may list millions of chunks). */
function within(ranges: readonly ChunkRange[], index: number): boolean {
  let low = 0;
  let high = ranges.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const [start, end] = ranges[middle];
    if (index < start) high = middle - 1;
    else if (index >= end) low = middle + 1;
    else return true;
  }
  return false;
}

/**
 * The whole chunk list of an incremental snapshot: the entries the host read (every one inside
 * its ranges; a chunk read as zeros has none) and, outside them, the parent's entries.
 */
export function inheritChunks(read: readonly ManifestChunk[], ranges: readonly ChunkRange[], parent: readonly ManifestChunk[]): ManifestChunk[] {
  const outside = read.find((chunk) => !within(ranges, chunk.index));
  if (outside) throw new InvalidStateError(`chunk ${outside.index} was handed over but lies outside the ranges the host read`);
  return [...read, ...parent.filter((chunk) => !within(ranges, chunk.index))].sort((a, b) => a.index - b.index);
}
