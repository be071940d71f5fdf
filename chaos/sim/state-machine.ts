import { type Entry, EntryType, type LogIndex, type Term } from '../../raft/types.ts';

/** One applied proposal: [index, term, value]. Index and term are kept so checkers can compare. */
export type AppliedItem = readonly [index: number, term: number, value: string];

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const decoded = new WeakMap<Uint8Array, string>();

/** Entry data as text, cached: the same Uint8Array travels to every node and through every checker. */
export function entryText(data: Uint8Array): string {
  let text = decoded.get(data);
  if (text === undefined) {
    text = decoder.decode(data);
    decoded.set(data, text);
  }
  return text;
}

export function encodeText(text: string): Uint8Array {
  return encoder.encode(text);
}

/** An entry as the state machine sees it: no-ops (empty Normal) and Config entries carry no value. */
export function entryValue(entry: Entry): string | null {
  if (entry.type !== EntryType.Normal || entry.data.length === 0) return null;
  return entryText(entry.data);
}

/**
 * The replicated application: the list of applied values (with their index and term) and the applied
 * index. Its snapshot is the JSON of both, so snapshot transfer carries the whole history and a
 * restored node can be checked item by item.
 */
export class StateMachine {
  private items: AppliedItem[] = [];
  private appliedIndexValue = 0;
  /** The items' JSON, kept incrementally: a snapshot every few entries would otherwise cost O(n^2). */
  private itemsJson = '';

  get appliedIndex(): LogIndex {
    return this.appliedIndexValue as LogIndex;
  }

  get applied(): readonly AppliedItem[] {
    return this.items;
  }

  /** Applies one committed entry; returns its value, or null for a no-op. */
  apply(entry: Entry): string | null {
    const value = entryValue(entry);
    if (value !== null) {
      const item: AppliedItem = [entry.index, entry.term, value];
      this.items.push(item);
      this.itemsJson += (this.itemsJson === '' ? '' : ',') + JSON.stringify(item);
    }
    this.appliedIndexValue = entry.index;
    return value;
  }

  snapshotData(): Uint8Array {
    return encodeText(`{"appliedIndex":${this.appliedIndexValue},"items":[${this.itemsJson}]}`);
  }

  restore(data: Uint8Array): void {
    const parsed = decodeSnapshot(data);
    this.items = [...parsed.items];
    this.appliedIndexValue = parsed.appliedIndex;
    this.itemsJson = this.items.map((item) => JSON.stringify(item)).join(',');
  }
}

export interface SnapshotContent {
  readonly appliedIndex: number;
  readonly items: readonly AppliedItem[];
}

export function decodeSnapshot(data: Uint8Array): SnapshotContent {
  const parsed: unknown = JSON.parse(entryText(data));
  if (typeof parsed !== 'object' || parsed === null) throw new Error('snapshot data is not an object');
  const { appliedIndex, items } = parsed as { appliedIndex?: unknown; items?: unknown };
  if (typeof appliedIndex !== 'number' || !Array.isArray(items)) throw new Error('snapshot data malformed');
  return { appliedIndex, items: items as AppliedItem[] };
}

export function termOf(item: AppliedItem): Term {
  return item[1] as Term;
}
