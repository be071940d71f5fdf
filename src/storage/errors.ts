// Operating errors of the partition log. Bad input (a produce or a follower fetch carrying invalid
// batches) is a KafkaError with Kafka's name; data on disk that fails a check a crash cannot explain is a
// CorruptLogError, which names the file and the byte so an operator can look at it.

import { KafkaError } from '../common/kafka-errors.ts';

/** Durable data (before the recovery point) or a checkpoint failed a check: the log refuses to open. */
export class CorruptLogError extends KafkaError {
  readonly path: string;
  readonly positionBytes: number;
  /** On a read: the first offset of the damaged batch (it starts at `positionBytes`), when known. */
  readonly firstOffset: number | undefined;

  constructor(options: { path: string; positionBytes: number; reason: string; firstOffset?: number }) {
    super(
      'CORRUPT_MESSAGE',
      `corrupt partition log: ${options.path} at byte ${options.positionBytes}: ${options.reason}`,
    );
    this.path = options.path;
    this.positionBytes = options.positionBytes;
    this.firstOffset = options.firstOffset;
  }
}

/** True for the error fs raises when a path does not exist. */
export function isNotFound(error: unknown): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === 'ENOENT';
}

/** A batch whose fields contradict each other (count vs offsets, unsafe integers, bad varints). */
export function invalidRecordError(message: string): KafkaError {
  return new KafkaError('INVALID_RECORD', `invalid record batch: ${message}`);
}

export function unsupportedCompressionError(code: number): KafkaError {
  return new KafkaError('UNSUPPORTED_COMPRESSION_TYPE', `unsupported compression type ${code}`);
}

/**
 * An I/O error (write, fsync, truncation, roll, index or checkpoint write, read) made a partition log
 * fail-stop. Kafka's KafkaStorageException: the log directory holding it goes offline.
 */
export function logDirFailure(dir: string, cause: unknown): KafkaError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new KafkaError('KAFKA_STORAGE_ERROR', `partition log ${dir} failed: ${reason}`, { cause });
}

export function isLogDirFailure(error: unknown): error is KafkaError {
  return error instanceof KafkaError && error.errorName === 'KAFKA_STORAGE_ERROR';
}
