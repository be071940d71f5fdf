// When a follower broker has gone silent: no fetch from it for replica.silence.time.max.ms, or for twice
// the longest gap between its recent fetches when that is longer (a follower busy with many partitions
// under load comes back more slowly than a frozen one ever does: its own pace sets the bar). Per broker,
// not per partition: a follower that fetches some partitions is alive, and one it has not opened yet
// (a new topic of 1,000 partitions opens over seconds) is left to replica.lag.time.max.ms. Pure: the
// replica manager feeds it the arrival time of each fetch.
import type { BrokerId } from '../metadata/ids.ts';

/** How many recent gaps between a follower's fetches set its pace. */
const RECENT_GAPS = 16;

interface FollowerPace {
  lastFetchMs: number;
  /** The latest gaps between fetches, oldest first, at most RECENT_GAPS. */
  readonly gaps: number[];
}

export class FetchSilence {
  /** replica.silence.time.max.ms */
  readonly minSilenceMs: number;
  private readonly followers = new Map<BrokerId, FollowerPace>();

  constructor(minSilenceMs: number) {
    this.minSilenceMs = minSilenceMs;
  }

  /** A fetch from `broker` arrived at `nowMs`. */
  fetched(broker: BrokerId, nowMs: number): void {
    const pace = this.followers.get(broker);
    if (pace === undefined) {
      this.followers.set(broker, { lastFetchMs: nowMs, gaps: [] });
      return;
    }
    pace.gaps.push(Math.max(0, nowMs - pace.lastFetchMs));
    if (pace.gaps.length > RECENT_GAPS) pace.gaps.shift();
    pace.lastFetchMs = Math.max(pace.lastFetchMs, nowMs);
  }

  /** How long `broker` may stay silent before it counts as gone. */
  allowedMs(broker: BrokerId): number {
    const gaps = this.followers.get(broker)?.gaps ?? [];
    return Math.max(this.minSilenceMs, 2 * Math.max(0, ...gaps));
  }

  /**
   * Whether `broker` has sent no fetch for longer than it may. A broker never heard from is not silent:
   * it may not have opened any partition led here yet.
   */
  silent(broker: BrokerId, nowMs: number): boolean {
    const pace = this.followers.get(broker);
    return pace !== undefined && nowMs - pace.lastFetchMs > this.allowedMs(broker);
  }
}
