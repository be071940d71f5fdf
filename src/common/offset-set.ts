// A set of offsets of one partition kept as sorted, disjoint, non-adjacent ranges [start, end): the
// offsets a consumer instance was given are mostly one run, so this stays a few numbers however many
// records went by, while single offsets can still be taken out (a record rejected).

export class OffsetSet {
  /** Sorted by start; ranges neither overlap nor touch (end < next start). */
  readonly #ranges: { start: number; end: number }[] = [];

  /** The index of the first range whose end is above `offset` (the one holding it, or the next). */
  #search(offset: number): number {
    let low = 0;
    let high = this.#ranges.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.#ranges[middle]!.end <= offset) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  has(offset: number): boolean {
    const range = this.#ranges[this.#search(offset)];
    return range !== undefined && range.start <= offset;
  }

  add(offset: number): void {
    if (!Number.isSafeInteger(offset) || offset < 0) throw new Error(`not an offset: ${offset}`);
    const last = this.#ranges.at(-1);
    // The usual case: the next record of the run.
    if (last !== undefined && last.end === offset) {
      last.end += 1;
      return;
    }
    const index = this.#search(offset);
    const next = this.#ranges[index];
    if (next !== undefined && next.start <= offset) return;
    const previous = index > 0 ? this.#ranges[index - 1]! : undefined;
    const joinsPrevious = previous !== undefined && previous.end === offset;
    const joinsNext = next !== undefined && next.start === offset + 1;
    if (joinsPrevious && joinsNext) {
      previous.end = next.end;
      this.#ranges.splice(index, 1);
    } else if (joinsPrevious) {
      previous.end += 1;
    } else if (joinsNext) {
      next.start = offset;
    } else {
      this.#ranges.splice(index, 0, { start: offset, end: offset + 1 });
    }
  }

  /** Takes `offset` out; whether it was in. */
  delete(offset: number): boolean {
    const index = this.#search(offset);
    const range = this.#ranges[index];
    if (range === undefined || range.start > offset) return false;
    if (range.start === offset && range.end === offset + 1) this.#ranges.splice(index, 1);
    else if (range.start === offset) range.start += 1;
    else if (range.end === offset + 1) range.end -= 1;
    else {
      this.#ranges.splice(index + 1, 0, { start: offset + 1, end: range.end });
      range.end = offset;
    }
    return true;
  }

  /** Takes out every offset below `offset` (a commit passed them). */
  deleteBelow(offset: number): void {
    const index = this.#search(offset);
    this.#ranges.splice(0, index);
    const first = this.#ranges[0];
    if (first !== undefined && first.start < offset) first.start = offset;
  }

  get empty(): boolean {
    return this.#ranges.length === 0;
  }

  /** The offsets, in order (tests). */
  *[Symbol.iterator](): IterableIterator<number> {
    for (const { start, end } of this.#ranges) for (let o = start; o < end; o++) yield o;
  }

  /** How many ranges it takes (tests check that a run stays one). */
  get rangeCount(): number {
    return this.#ranges.length;
  }
}
