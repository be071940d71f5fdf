// Which old segments retention deletes (Kafka's retention.ms and retention.bytes): a prefix of the
// segments, never the active one, and never one that reaches the high watermark (its records may not be
// committed yet; Kafka deletes only below it too).

import type { LogConfig } from './log-config.ts';
import type { LogSegment } from './log-segment.ts';

/** How many leading segments are out of retention. */
export function segmentsOutOfRetention(
  segments: readonly Pick<LogSegment, 'sizeBytes' | 'maxTimestamp' | 'nextOffset'>[],
  options: {
    config: Pick<LogConfig, 'retentionMs' | 'retentionBytes'>;
    nowMs: number;
    highWatermark: number;
  },
): number {
  const { retentionMs, retentionBytes } = options.config;
  let remainingBytes = segments.reduce((sum, segment) => sum + segment.sizeBytes, 0);
  let count = 0;
  while (count < segments.length - 1) {
    const segment = segments[count]!;
    if (segment.nextOffset > options.highWatermark) break;
    const expired = retentionMs >= 0 && options.nowMs - segment.maxTimestamp > retentionMs;
    const oversized = retentionBytes >= 0 && remainingBytes - segment.sizeBytes >= retentionBytes;
    if (!expired && !oversized) break;
    remainingBytes -= segment.sizeBytes;
    count++;
  }
  return count;
}
