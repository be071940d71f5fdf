// File names of a partition directory. Segments are named by their base offset, 20 digits zero padded,
// as Kafka names them, so that a directory listing sorts in offset order.

import { join } from 'node:path';

const LOG_NAME_PATTERN = /^(\d{20})\.log$/;
export const CHECKPOINT_FILE_NAME = 'partition.checkpoint';

export function segmentBaseName(baseOffset: number): string {
  return String(baseOffset).padStart(20, '0');
}

export interface SegmentPaths {
  readonly log: string;
  readonly offsetIndex: string;
  readonly timeIndex: string;
}

export function segmentPaths(dir: string, baseOffset: number): SegmentPaths {
  const base = join(dir, segmentBaseName(baseOffset));
  return { log: `${base}.log`, offsetIndex: `${base}.index`, timeIndex: `${base}.timeindex` };
}

/**
 * A cleaned segment being written (`<base>.log.cleaned`: removed at open), then renamed to its swap file
 * (`<base>.log.swap`: from then on the cleaning is committed, and open completes it), as Kafka names them.
 */
export const CLEANED_SUFFIX = '.cleaned';
export const SWAP_SUFFIX = '.swap';

export function cleanedSegmentPaths(dir: string, baseOffset: number): SegmentPaths {
  const paths = segmentPaths(dir, baseOffset);
  return {
    log: paths.log + CLEANED_SUFFIX,
    offsetIndex: paths.offsetIndex + CLEANED_SUFFIX,
    timeIndex: paths.timeIndex + CLEANED_SUFFIX,
  };
}

export function swapFilePath(dir: string, baseOffset: number): string {
  return segmentPaths(dir, baseOffset).log + SWAP_SUFFIX;
}

/** The base offset of the swap file called `name`, or null if it is not one. */
export function parseSwapFileName(name: string): number | null {
  return name.endsWith(SWAP_SUFFIX) ? parseLogFileName(name.slice(0, -SWAP_SUFFIX.length)) : null;
}

/** The base offset of the segment log file called `name`, or null if it is not one. */
export function parseLogFileName(name: string): number | null {
  const match = LOG_NAME_PATTERN.exec(name);
  if (match === null) return null;
  const baseOffset = Number(match[1]);
  return Number.isSafeInteger(baseOffset) ? baseOffset : null;
}
