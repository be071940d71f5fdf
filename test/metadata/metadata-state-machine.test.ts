import { describe, expect, it } from 'vitest';
import { EntryType, logIndex, type LogIndex, term } from '../../raft/types.ts';
import { brokerId } from '../../src/metadata/ids.ts';
import { MetadataStateMachine } from '../../src/metadata/metadata-state-machine.ts';
import { encodeRecordBatch } from '../../src/metadata/records.ts';
import { decodeSnapshot } from '../../src/metadata/snapshot.ts';

function entry(index: number, brokers: number[]) {
  const records = brokers.map((id) => ({
    type: 'registerBroker' as const,
    brokerId: brokerId(id),
    incarnationId: `00000000-0000-4000-8000-${String(id * 1000 + index).padStart(12, '0')}`,
    endpoints: [],
    rack: null,
    fenced: true,
    processRoles: ['broker'],
  }));
  return { index: logIndex(index), term: term(1), type: EntryType.Normal, data: encodeRecordBatch(records) };
}

describe('MetadataStateMachine snapshot policy', () => {
  it('snapshots after N records, after N bytes, and on demand only if something changed', () => {
    const due: Array<{ index: LogIndex; brokers: number }> = [];
    const byRecords = new MetadataStateMachine({
      snapshotRecordsMax: 3,
      onSnapshotDue: (index, data) => due.push({ index, brokers: decodeSnapshot(data).brokers.size }),
    });
    byRecords.apply([entry(1, [1]), entry(2, [2])]);
    expect(due).toEqual([]);
    byRecords.apply([entry(3, [3])]);
    expect(due).toEqual([{ index: 3, brokers: 3 }]);
    byRecords.snapshotIfChanged();
    expect(due).toHaveLength(1);
    byRecords.apply([{ index: logIndex(4), term: term(2), type: EntryType.Normal, data: new Uint8Array(0) }]);
    byRecords.snapshotIfChanged();
    expect(due.at(-1)).toEqual({ index: 4, brokers: 3 });

    const bySize: LogIndex[] = [];
    const byBytes = new MetadataStateMachine({
      snapshotRecordsMax: 1_000_000,
      snapshotBytesMax: entry(1, [1, 2, 3, 4]).data.length,
      onSnapshotDue: (index) => bySize.push(index),
    });
    byBytes.apply([entry(1, [1, 2])]);
    expect(bySize).toEqual([]);
    byBytes.apply([entry(2, [3, 4])]);
    expect(bySize).toEqual([2]);
  });
});
