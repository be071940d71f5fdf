import { Violation } from '../checkers/violation.ts';

/** A commit of one partition's offset by a group consumer, from its invocation to its outcome. */
interface Commit {
  readonly partition: number;
  readonly offset: number;
  readonly invokedUs: number;
  /** Infinity while in flight, and for ever when it got an error or no answer (it may yet land). */
  completedUs: number;
  acknowledged: boolean;
  readonly by: string;
}

/**
 * Something known to be the committed offset at some moment of [invokedUs, completedUs]: an
 * acknowledged commit, or a fetch of the committed offset.
 */
interface Fact {
  readonly offset: number;
  readonly invokedUs: number;
  readonly completedUs: number;
  readonly what: string;
}

/**
 * What the group consumers and the committed-offsets observer saw, checked as it comes in, and against
 * the final log after healing:
 *
 * - `committed-offsets-monotonic`: a fetch of a partition's committed offset never returns less than a
 *   fact that completed before the fetch was invoked (an acknowledged commit, or an earlier fetch's
 *   answer), unless some commit of exactly the value fetched may have landed after that fact: a commit
 *   invoked before the fetch completed and not completed before the fact was invoked. Kafka lets a
 *   consumer commit a lower offset (a new owner after a rebalance commits from what it fetched before
 *   the old owner's last commit landed), so a commit may legitimately take the offset back; without
 *   one, a committed offset served and then gone is a coordinator that served a commit not yet
 *   replicated (loaded past the high watermark), lost one, or answered from a stale state. A commit that
 *   got an error or no answer is unknown (it may land at any later time); a fetch answered `-1` (no
 *   commit) after any fact is a violation (the group and its topic are never deleted here).
 *
 *   A deposed ("zombie") coordinator: a broker that still believes it leads the group's partition
 *   (isolated from the controller, its image stale) would answer fetches from its cache. Its cache holds
 *   only commits its partition's ISR had (the load waits for the high watermark; commits enter it once
 *   acknowledged with acks=all), but its successor may have acknowledged later commits meanwhile, so its
 *   answer can be older than an acknowledged commit. The check does not excuse it: the product's
 *   GroupService puts fetches of committed offsets behind a read barrier (it catches up with the
 *   controller, then routes to the coordinator of the current leader epoch), as it does end offsets.
 *   Seed 370 found it before that barrier existed.
 * - `committed-offset-exists`: every committed offset observed (fetched, or acknowledged) is at most
 *   the partition's final high watermark: it points at a record that exists, or at the log end.
 */
export class GroupHistory {
  private readonly commits: Commit[] = [];
  private readonly facts = new Map<number, Fact[]>();
  commitsAcknowledged = 0;
  commitsUnknown = 0;
  fetches = 0;

  /** A commit is sent; call the returned function with its outcome. */
  commitInvoked(partition: number, offset: number, invokedUs: number, by: string) {
    const commit: Commit = {
      partition,
      offset,
      invokedUs,
      completedUs: Number.POSITIVE_INFINITY,
      acknowledged: false,
      by,
    };
    this.commits.push(commit);
    return (acknowledged: boolean, completedUs: number): void => {
      if (!acknowledged) {
        this.commitsUnknown++;
        return;
      }
      this.commitsAcknowledged++;
      commit.completedUs = completedUs;
      commit.acknowledged = true;
      this.addFact(partition, {
        offset,
        invokedUs,
        completedUs,
        what: `commit of ${offset} acknowledged to ${by} (${ms(invokedUs)}..${ms(completedUs)} ms)`,
      });
    };
  }

  /** A fetch of `partition`'s committed offset answered `offset` (-1: none). */
  fetched(partition: number, offset: number, invokedUs: number, completedUs: number, by: string): void {
    this.fetches++;
    const what = `fetch through ${by} (${ms(invokedUs)}..${ms(completedUs)} ms) answered ${offset}`;
    // The latest completion of a commit of exactly this value that may have landed before the answer.
    let explainedAfterUs = Number.NEGATIVE_INFINITY;
    for (const commit of this.commits) {
      if (commit.partition !== partition || commit.offset !== offset || commit.invokedUs >= completedUs)
        continue;
      explainedAfterUs = Math.max(explainedAfterUs, commit.completedUs);
    }
    for (const fact of this.facts.get(partition) ?? []) {
      if (fact.completedUs >= invokedUs || fact.offset <= offset) continue;
      // A commit of this value not over before the fact began may have landed after it.
      if (explainedAfterUs >= fact.invokedUs) continue;
      throw new Violation(
        'committed-offsets-monotonic',
        `partition ${partition}: ${what}, after the ${fact.what}, and no commit of ${offset} may have landed in between`,
      );
    }
    this.addFact(partition, { offset, invokedUs, completedUs, what });
  }

  /** After healing: `highWatermarks` are the partitions' final high watermarks. */
  checkFinal(highWatermarks: ReadonlyMap<number, number>): void {
    for (const [partition, facts] of this.facts) {
      const end = highWatermarks.get(partition) ?? 0;
      const beyond = facts.find((fact) => fact.offset > end);
      if (beyond !== undefined) {
        throw new Violation(
          'committed-offset-exists',
          `partition ${partition}: the ${beyond.what} is beyond the final high watermark ${end}`,
        );
      }
    }
  }

  private addFact(partition: number, fact: Fact): void {
    const list = this.facts.get(partition) ?? [];
    list.push(fact);
    this.facts.set(partition, list);
  }
}

function ms(us: number): string {
  return (us / 1_000).toFixed(1);
}
