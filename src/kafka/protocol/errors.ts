// The codec's two operating errors. Both are about bytes or versions a peer chose, so they are answered
// (Kafka: INVALID_REQUEST or a closed connection; UNSUPPORTED_VERSION), never crashes: a broken invariant
// of our own is an InvariantError (raft/assert.ts) instead.

/** What was wrong with a frame that could not be decoded. */
export type MalformedReason =
  | 'truncated'
  | 'negative-length'
  | 'length-past-end'
  | 'string-too-long'
  | 'invalid-varint'
  | 'null-not-allowed'
  | 'tagged-field-size';

/**
 * A frame that cannot be decoded: a length past the end, a negative length, a varint of more than five
 * bytes, a null where the version allows none, a tagged field whose size does not match its content.
 * Kafka's broker answers these with INVALID_REQUEST or closes the connection.
 */
export class MalformedMessageError extends Error {
  override readonly name = 'MalformedMessageError';
  readonly reason: MalformedReason;
  /** Byte offset in the decoded buffer where the problem was found. */
  readonly position: number;
  constructor(reason: MalformedReason, message: string, position: number) {
    super(`${message} (at byte ${position})`);
    this.reason = reason;
    this.position = position;
  }
}

/**
 * Kafka's UnsupportedVersionException (UNSUPPORTED_VERSION, 35): a version outside the message's
 * validVersions, or a message that this version cannot carry (a non-default value of a non-ignorable
 * field the version lacks, a null the version cannot express).
 */
export class UnsupportedVersionError extends Error {
  override readonly name = 'UnsupportedVersionError';
  readonly code = 35;
}
