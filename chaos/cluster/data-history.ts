import { Violation } from '../checkers/violation.ts';

/** An acknowledged produce: `value` at `offset` of `partition`. */
export interface Acknowledged {
  readonly partition: number;
  readonly offset: number;
  readonly value: string;
  readonly acks: -1 | 1;
}

/** A record a client read: committed, so it must stay at that offset forever. */
export interface ReadRecord {
  readonly partition: number;
  readonly offset: number;
  readonly value: string;
}

/** Per partition, completed observations of an offset that must never go back (prefix maxima by time). */
class MonotonicOffsets {
  private readonly completions = new Map<
    number,
    { readonly atUs: number[]; readonly maxSoFar: number[]; readonly maxBy: string[] }
  >();

  /**
   * An observation invoked at `invokedUs` and completed at `completedUs` saw `value`: every observation
   * completed before this one was invoked must have seen at most `value`.
   */
  observe(
    name: string,
    partition: number,
    invokedUs: number,
    completedUs: number,
    value: number,
    by: string,
  ): void {
    let list = this.completions.get(partition);
    if (list === undefined) {
      list = { atUs: [], maxSoFar: [], maxBy: [] };
      this.completions.set(partition, list);
    }
    // The last completion strictly before the invocation (binary search: times only grow).
    let low = 0;
    let high = list.atUs.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (list.atUs[mid]! < invokedUs) low = mid + 1;
      else high = mid;
    }
    const before = low === 0 ? -1 : list.maxSoFar[low - 1]!;
    if (value < before) {
      throw new Violation(
        `${name}-monotonic`,
        `partition ${partition}: a client saw ${name} ${value} (${by}), after another had seen ${before} (${list.maxBy[low - 1]}) before it asked`,
      );
    }
    list.atUs.push(completedUs);
    const previous = list.maxSoFar.at(-1) ?? -1;
    list.maxSoFar.push(Math.max(value, previous));
    list.maxBy.push(value >= previous ? by : list.maxBy.at(-1)!);
  }
}

/**
 * What the data clients saw, checked as it comes in and once more after healing (Jepsen's Kafka
 * checks): no offset with two values (among acks=all acknowledgements, reads and the final read); no
 * value at two offsets (every value is sent once: clients do not retry); the high watermark and log
 * start offset a client sees never below what another client saw before it asked; after healing,
 * every acks=all acknowledgement at its offset and every record read still there.
 */
export class DataHistory {
  readonly acknowledged: Acknowledged[] = [];
  readonly reads: ReadRecord[] = [];
  sent = 0;
  failed = 0;
  private readonly valueAt = new Map<string, { readonly value: string; readonly source: string }>();
  private readonly offsetOf = new Map<string, string>();
  private readonly highWatermarks = new MonotonicOffsets();
  private readonly logStarts = new MonotonicOffsets();

  acknowledge(ack: Acknowledged, by: string): void {
    this.acknowledged.push(ack);
    // An acks=1 record may be lost with its leader and its offset reused: only acks=all ones are final.
    if (ack.acks === -1)
      this.observe(ack.partition, ack.offset, ack.value, `acks=all acknowledgement by ${by}`);
  }

  read(record: ReadRecord, by: string): void {
    this.reads.push(record);
    this.observe(record.partition, record.offset, record.value, `read from ${by}`);
  }

  offsets(
    partition: number,
    invokedUs: number,
    completedUs: number,
    seen: { highWatermark: number; logStartOffset: number },
    by: string,
  ): void {
    this.highWatermarks.observe('high-watermark', partition, invokedUs, completedUs, seen.highWatermark, by);
    this.logStarts.observe('log-start-offset', partition, invokedUs, completedUs, seen.logStartOffset, by);
  }

  /** After healing: `final` holds every committed record of each partition, by offset. */
  checkFinal(final: ReadonlyMap<number, ReadonlyMap<number, string>>): void {
    for (const [partition, records] of final) {
      for (const [offset, value] of records) this.observe(partition, offset, value, 'final read');
    }
    for (const ack of this.acknowledged) {
      if (ack.acks !== -1) continue;
      const value = final.get(ack.partition)?.get(ack.offset);
      if (value !== ack.value) {
        throw new Violation(
          'lost-write',
          `acks=all ${ack.value} acknowledged at ${ack.partition}/${ack.offset}, finally ${value ?? 'nothing'} there`,
        );
      }
    }
    for (const record of this.reads) {
      const value = final.get(record.partition)?.get(record.offset);
      if (value !== record.value) {
        throw new Violation(
          'lost-read',
          `${record.value} was read at ${record.partition}/${record.offset}, finally ${value ?? 'nothing'} there`,
        );
      }
    }
  }

  private observe(partition: number, offset: number, value: string, source: string): void {
    const at = `${partition}/${offset}`;
    const known = this.valueAt.get(at);
    if (known === undefined) this.valueAt.set(at, { value, source });
    else if (known.value !== value) {
      throw new Violation(
        'inconsistent-offsets',
        `${at} holds ${known.value} (${known.source}) and ${value} (${source})`,
      );
    }
    const where = this.offsetOf.get(value);
    if (where === undefined) this.offsetOf.set(value, at);
    else if (where !== at) throw new Violation('duplicates', `${value} at ${where} and at ${at} (${source})`);
  }
}
