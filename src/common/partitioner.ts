// Key -> partition exactly as Kafka's default partitioner (BuiltInPartitioner.partitionForKey:
// toPositive(Utils.murmur2(keyBytes)) % numPartitions), so a key lands on the partition a Java, librdkafka
// (murmur2_random) or kafkajs (DefaultPartitioner) producer would pick. Null keys: a sticky partition per
// topic in the spirit of KIP-794 (stay on one partition for about a batch's worth of bytes, then move).

import { randomInt } from 'node:crypto';

/** Utils.murmur2's seed. */
const SEED = 0x9747b28c;
const M = 0x5bd1e995;
const R = 24;

/**
 * org.apache.kafka.common.utils.Utils.murmur2: a signed 32-bit result, as Java's int arithmetic gives.
 * Math.imul is Java's wrapping int multiplication; `>>>` is Java's `>>>`.
 */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = SEED ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> R;
    k = Math.imul(k, M);
    h = Math.imul(h, M);
    h ^= k;
  }
  // Java's switch falls through from case 3 to case 1.
  const rest = length & 3;
  if (rest >= 3) h ^= data[whole + 2]! << 16;
  if (rest >= 2) h ^= data[whole + 1]! << 8;
  if (rest >= 1) {
    h ^= data[whole]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Utils.toPositive: clears the sign bit (not Math.abs, which Integer.MIN_VALUE would defeat). */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

export function partitionForKey(keyBytes: Uint8Array, numPartitions: number): number {
  return toPositive(murmur2(keyBytes)) % numPartitions;
}

/** An integer in [0, bound). */
export type RandomInt = (bound: number) => number;

const defaultRandomInt: RandomInt = (bound) => randomInt(bound);

/** Kafka's batch.size default: KIP-794 switches partitions after about this many bytes. */
export const STICKY_SWITCH_BYTES = 16 * 1024;

interface StickyState {
  partition: number;
  bytes: number;
}

/**
 * Null-key partitioning: every record of a topic goes to one partition until `switchBytes` went there,
 * then a new partition is drawn (a different one when there is a choice), so records of keyless
 * producers batch well yet spread over all partitions over time.
 */
export class StickyPartitioner {
  readonly #random: RandomInt;
  readonly #switchBytes: number;
  readonly #byTopic = new Map<string, StickyState>();

  constructor(options: { random?: RandomInt; switchBytes?: number } = {}) {
    this.#random = options.random ?? defaultRandomInt;
    this.#switchBytes = options.switchBytes ?? STICKY_SWITCH_BYTES;
  }

  /** The partition of a keyless record of `recordBytes` bytes. */
  partition(topic: string, numPartitions: number, recordBytes: number): number {
    let state = this.#byTopic.get(topic);
    if (state === undefined || state.partition >= numPartitions || state.bytes >= this.#switchBytes) {
      state = { partition: this.#draw(numPartitions, state?.partition), bytes: 0 };
      this.#byTopic.set(topic, state);
    }
    state.bytes += recordBytes;
    return state.partition;
  }

  /** Forgets a topic (deleted, or its partition count changed). */
  forget(topic: string): void {
    this.#byTopic.delete(topic);
  }

  #draw(numPartitions: number, previous: number | undefined): number {
    if (numPartitions <= 1) return 0;
    if (previous === undefined || previous >= numPartitions) return this.#random(numPartitions);
    // Draw among the others: skip over the previous partition.
    const drawn = this.#random(numPartitions - 1);
    return drawn >= previous ? drawn + 1 : drawn;
  }
}
