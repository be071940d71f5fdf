// A snapshot file `snapshot-<index, 20 digits>-<term>.snap`: one frame (frame.ts) whose payload is
//
//   index        u64 LE
//   term         u64 LE
//   voter count  u32 LE
//   voters       u64 LE each
//   data         the rest of the payload
//
// Written atomically (tmp + fsync + rename + directory fsync); older snapshot files are removed only
// after the new one is durable.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type NodeId, type Snapshot, logIndex, nodeId, term } from '../types.ts';
import { CorruptStorageError } from './errors.ts';
import {
  FRAME_HEADER_BYTES,
  allocateFrame,
  copyBytes,
  readSingleFrameFile,
  readU64,
  sealFrame,
  writeU64,
} from './frame.ts';
import { writeFileAtomically } from './file-io.ts';

const SNAPSHOT_NAME_PATTERN = /^snapshot-(\d{20})-(\d+)\.snap$/;
const HEADER_BYTES = 20;
const VOTER_BYTES = 8;

export function snapshotFileName(index: number, snapshotTerm: number): string {
  return `snapshot-${String(index).padStart(20, '0')}-${snapshotTerm}.snap`;
}

export function parseSnapshotFileName(name: string): { index: number; term: number } | null {
  const match = SNAPSHOT_NAME_PATTERN.exec(name);
  return match === null ? null : { index: Number(match[1]), term: Number(match[2]) };
}

export function encodeSnapshot(snapshot: Snapshot): Buffer {
  const { index, term: snapshotTerm, membership } = snapshot.metadata;
  const votersBytes = membership.voters.length * VOTER_BYTES;
  const frame = allocateFrame(HEADER_BYTES + votersBytes + snapshot.data.length);
  writeU64(frame, FRAME_HEADER_BYTES, index);
  writeU64(frame, FRAME_HEADER_BYTES + 8, snapshotTerm);
  frame.writeUInt32LE(membership.voters.length, FRAME_HEADER_BYTES + 16);
  membership.voters.forEach((voter, position) => {
    writeU64(frame, FRAME_HEADER_BYTES + HEADER_BYTES + position * VOTER_BYTES, voter);
  });
  frame.set(snapshot.data, FRAME_HEADER_BYTES + HEADER_BYTES + votersBytes);
  return sealFrame(frame);
}

export function decodeSnapshot(buffer: Buffer, path: string): Snapshot {
  const payload = readSingleFrameFile(buffer, path);
  const corrupt = (reason: string) =>
    new CorruptStorageError({ path, offsetBytes: FRAME_HEADER_BYTES, reason });
  if (payload.length < HEADER_BYTES) throw corrupt('snapshot header is short');
  const index = readU64(payload, 0);
  const snapshotTerm = readU64(payload, 8);
  const voterCount = payload.readUInt32LE(16);
  const dataStart = HEADER_BYTES + voterCount * VOTER_BYTES;
  if (index === null || snapshotTerm === null || dataStart > payload.length) throw corrupt('not a snapshot');
  const voters: NodeId[] = [];
  for (let position = 0; position < voterCount; position++) {
    const voter = readU64(payload, HEADER_BYTES + position * VOTER_BYTES);
    if (voter === null) throw corrupt(`voter ${position} is not a node id`);
    voters.push(nodeId(voter));
  }
  const metadata = { index: logIndex(index), term: term(snapshotTerm), membership: { voters } };
  return { metadata, data: copyBytes(payload.subarray(dataStart)) };
}

/** Reads a snapshot file and checks that its name matches what it holds. */
export async function readSnapshotFile(dir: string, name: string): Promise<Snapshot> {
  const path = join(dir, name);
  const snapshot = decodeSnapshot(await readFile(path), path);
  const { index, term: snapshotTerm } = snapshot.metadata;
  if (snapshotFileName(index, snapshotTerm) !== name) {
    const reason = `holds the snapshot at index ${index} of term ${snapshotTerm}`;
    throw new CorruptStorageError({ path, offsetBytes: FRAME_HEADER_BYTES, reason });
  }
  return snapshot;
}

/** Makes `snapshot` durable under its file name, which it returns. */
export async function writeSnapshotFile(dir: string, snapshot: Snapshot): Promise<string> {
  const name = snapshotFileName(snapshot.metadata.index, snapshot.metadata.term);
  await writeFileAtomically(dir, name, encodeSnapshot(snapshot));
  return name;
}
