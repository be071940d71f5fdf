// Decodes the records of one batch (the reverse of builder.ts), for readers that need records rather
// than bytes: the REST edge, ListOffsets by timestamp. Input is untrusted: every malformed field is an
// invalid-record KafkaError, never an exception from deep inside a Buffer read.

import { invalidRecordError } from '../errors.ts';
import { decompress } from './compression.ts';
import { RECORDS_AT } from './format.ts';
import type { RecordBatchHeader } from './header.ts';
import type { DecodedRecord, RecordHeader } from './record.ts';
import { ByteReader } from './varint.ts';

/** The records of a whole, validated batch, with absolute offsets and timestamps. */
export function decodeRecords(header: RecordBatchHeader): DecodedRecord[] {
  const section = decompressSection(header);
  const reader = new ByteReader(section);
  const records: DecodedRecord[] = [];
  for (let index = 0; index < header.recordCount; index++) records.push(decodeRecord(reader, header));
  if (reader.remainingBytes !== 0)
    throw invalidRecordError(`${reader.remainingBytes} bytes after the records`);
  return records;
}

function decompressSection(header: RecordBatchHeader): Buffer {
  const section = header.buffer.subarray(RECORDS_AT);
  try {
    return decompress(header.compressionCode, section);
  } catch (error) {
    if (error instanceof Error && error.name === 'KafkaError') throw error;
    throw invalidRecordError(`records do not decompress: ${String(error)}`);
  }
}

function decodeRecord(reader: ByteReader, batch: RecordBatchHeader): DecodedRecord {
  const lengthBytes = reader.readVarint();
  if (lengthBytes === null || lengthBytes < 0 || lengthBytes > reader.remainingBytes) {
    throw invalidRecordError('record length');
  }
  const endBytes = reader.positionBytes + lengthBytes;
  const attributes = reader.readInt8();
  const timestampDelta = reader.readVarint();
  const offsetDelta = reader.readVarint();
  const key = reader.readNullableBytes();
  const value = reader.readNullableBytes();
  if (attributes === null || timestampDelta === null || offsetDelta === null)
    throw invalidRecordError('record fields');
  if (key === undefined || value === undefined) throw invalidRecordError('record key or value');
  const headers = decodeHeaders(reader);
  if (reader.positionBytes !== endBytes) throw invalidRecordError('record length does not match its fields');
  const timestamp = batch.isLogAppendTime ? batch.maxTimestamp : batch.baseTimestamp + timestampDelta;
  return { offset: batch.baseOffset + offsetDelta, timestamp, key, value, headers };
}

function decodeHeaders(reader: ByteReader): RecordHeader[] {
  const count = reader.readVarint();
  if (count === null || count < 0 || count > reader.remainingBytes) throw invalidRecordError('header count');
  const headers: RecordHeader[] = [];
  for (let index = 0; index < count; index++) {
    const key = reader.readNullableBytes();
    const value = reader.readNullableBytes();
    if (key == null || value === undefined) throw invalidRecordError('record header');
    headers.push({ key: key.toString('utf8'), value });
  }
  return headers;
}
