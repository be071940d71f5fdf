// A record as producers give it and the REST edge reads it back. Keys, values and header values are
// bytes (null when absent); header keys are strings (UTF-8 on the wire).

export interface RecordHeader {
  readonly key: string;
  readonly value: Buffer | null;
}

export interface ProducerRecord {
  /** Milliseconds since the epoch; the caller's clock, never read inside the encoder. */
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly RecordHeader[];
}

export interface DecodedRecord extends ProducerRecord {
  readonly offset: number;
}
