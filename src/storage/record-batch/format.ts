// Kafka's record batch, magic 2 (KIP-98; org.apache.kafka.common.record.DefaultRecordBatch). All
// integers of the batch header are big endian; the records use varints (zigzag, as protobuf's sint).
//
// RecordBatch =>
//   BaseOffset           int64   offset of the first record; the leader assigns it (outside the CRC)
//   BatchLength          int32   bytes that follow this field: PartitionLeaderEpoch .. end of Records
//   PartitionLeaderEpoch int32   the leader's epoch when it appended the batch (outside the CRC)
//   Magic                int8    2
//   CRC                  uint32  CRC-32C of Attributes .. end of Records
//   Attributes           int16   bits 0-2 compression (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd),
//                                bit 3 timestampType (1 = LogAppendTime), bit 4 isTransactional,
//                                bit 5 isControlBatch, bit 6 hasDeleteHorizonMs (KIP-534: the log
//                                cleaner set BaseTimestamp to the time its tombstones may go)
//   LastOffsetDelta      int32   offset of the last record - BaseOffset (kept by compaction, which
//                                may remove records: then RecordCount < LastOffsetDelta + 1)
//   BaseTimestamp        int64   timestamp of the first record
//   MaxTimestamp         int64   largest timestamp in the batch
//   ProducerId           int64   -1 without idempotence
//   ProducerEpoch        int16   -1 without idempotence
//   BaseSequence         int32   -1 without idempotence
//   RecordCount          int32   number of records (never compressed)
//   Records              [Record] RecordCount records, compressed as a whole by the codec in Attributes
//
// Record =>
//   Length               varint  bytes of the record after this field
//   Attributes           int8    unused, 0
//   TimestampDelta       varlong timestamp - BaseTimestamp
//   OffsetDelta          varint  offset - BaseOffset
//   KeyLength            varint  -1 for a null key
//   Key                  bytes
//   ValueLength          varint  -1 for a null value
//   Value                bytes
//   HeaderCount          varint
//   Headers              [Header]
//
// Header =>
//   HeaderKeyLength      varint
//   HeaderKey            bytes   UTF-8
//   HeaderValueLength    varint  -1 for a null value
//   HeaderValue          bytes

export const MAGIC_V2 = 2;

/** Byte positions of the header fields from the start of the batch. */
export const BASE_OFFSET_AT = 0;
export const BATCH_LENGTH_AT = 8;
export const PARTITION_LEADER_EPOCH_AT = 12;
export const MAGIC_AT = 16;
export const CRC_AT = 17;
export const ATTRIBUTES_AT = 21;
export const LAST_OFFSET_DELTA_AT = 23;
export const BASE_TIMESTAMP_AT = 27;
export const MAX_TIMESTAMP_AT = 35;
export const PRODUCER_ID_AT = 43;
export const PRODUCER_EPOCH_AT = 51;
export const BASE_SEQUENCE_AT = 53;
export const RECORD_COUNT_AT = 57;
export const RECORDS_AT = 61;

/** BaseOffset and BatchLength: the part of a batch that BatchLength does not count. */
export const LOG_OVERHEAD_BYTES = 12;
export const BATCH_HEADER_BYTES = RECORDS_AT;

export const COMPRESSION_MASK = 0x07;
export const TIMESTAMP_TYPE_MASK = 0x08;
export const TRANSACTIONAL_MASK = 0x10;
export const CONTROL_MASK = 0x20;
export const DELETE_HORIZON_MASK = 0x40;

export const CompressionType = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
export type CompressionName = keyof typeof CompressionType;
export type CompressionCode = (typeof CompressionType)[CompressionName];

/** The largest batch this log accepts by default (Kafka's message.max.bytes default, 1 MiB + overhead). */
export const BATCH_BYTES_MAX_DEFAULT = 1_048_588;
