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

/** The base offset of the segment log file called `name`, or null if it is not one. */
export function parseLogFileName(name: string): number | null {
  const match = LOG_NAME_PATTERN.exec(name);
  if (match === null) return null;
  const baseOffset = Number(match[1]);
  return Number.isSafeInteger(baseOffset) ? baseOffset : null;
}
