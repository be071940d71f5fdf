// A sparse, sorted map from a key to a value, looked up by floor: the in-memory side of the offset
// index (batch base offset -> byte position) and of the time index (max timestamp so far -> base offset
// of the first batch that reached it). Keys strictly increase, so lookups are binary searches.

import { assert } from '../../raft/assert.ts';

export class SparseIndex {
  readonly keys: number[] = [];
  readonly values: number[] = [];

  get entryCount(): number {
    return this.keys.length;
  }

  lastKey(): number | undefined {
    return this.keys.at(-1);
  }

  lastValue(): number | undefined {
    return this.values.at(-1);
  }

  append(key: number, value: number): void {
    const last = this.lastKey();
    assert(last === undefined || key > last, () => `index key ${key} after ${last}`);
    this.keys.push(key);
    this.values.push(value);
  }

  /** The value of the largest key <= `key`, or undefined when every key is larger. */
  floorValue(key: number): number | undefined {
    const at = this.floorAt(key);
    return at < 0 ? undefined : this.values[at];
  }

  /** The entry with the largest key <= `key`, or undefined when every key is larger. */
  floorEntry(key: number): { key: number; value: number } | undefined {
    const at = this.floorAt(key);
    return at < 0 ? undefined : { key: this.keys[at]!, value: this.values[at]! };
  }

  private floorAt(key: number): number {
    let low = 0;
    let high = this.keys.length - 1;
    let found = -1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      if (this.keys[middle]! <= key) {
        found = middle;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return found;
  }

  /** Keeps the first `entryCount` entries. */
  keep(entryCount: number): void {
    assert(entryCount >= 0 && entryCount <= this.keys.length, () => `keep ${entryCount} index entries`);
    this.keys.length = entryCount;
    this.values.length = entryCount;
  }

  /** The number of leading entries for which `predicate(key, value)` holds (entries are sorted). */
  countWhile(predicate: (key: number, value: number) => boolean): number {
    let count = 0;
    while (count < this.keys.length && predicate(this.keys[count]!, this.values[count]!)) count++;
    return count;
  }
}
