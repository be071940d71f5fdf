// Splits a connection's byte stream into Kafka frames: an int32 size, then that many bytes (the
// request). Sans I/O: the connection pushes what the socket gave and gets whole frames back.

/** The size prefix of a frame. */
const SIZE_BYTES = 4;

/** A size the listener refuses (negative, or above socket.request.max.bytes): the connection closes. */
export class FrameSizeError extends Error {
  override readonly name = 'FrameSizeError';
  readonly sizeBytes: number;
  constructor(sizeBytes: number, sizeBytesMax: number, limitName = 'socket.request.max.bytes') {
    super(
      sizeBytes < 0
        ? `a frame of negative size ${sizeBytes}`
        : `a frame of ${sizeBytes} bytes is larger than ${limitName} (${sizeBytesMax})`,
    );
    this.sizeBytes = sizeBytes;
  }
}

export class FrameReader {
  private frameBytesMax: number;
  private limitName = 'socket.request.max.bytes';
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(frameBytesMax: number) {
    this.frameBytesMax = frameBytesMax;
  }

  /**
   * Changes the largest frame accepted from now on, named by its config key in the refusal (a SASL
   * connection reads at most sasl.server.max.receive.size until it authenticates).
   */
  limit(frameBytesMax: number, limitName: string): void {
    this.frameBytesMax = frameBytesMax;
    this.limitName = limitName;
  }

  /** Bytes received and not yet part of a whole frame. */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  /**
   * Takes `chunk` and returns every frame it completes (each a Buffer of the frame's body, without the
   * size). Throws FrameSizeError as soon as a size is read that the listener refuses, before buffering
   * the frame, so that an oversized frame costs nothing.
   */
  push(chunk: Buffer): Buffer[] {
    if (chunk.length > 0) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
    }
    const frames: Buffer[] = [];
    for (;;) {
      if (this.pendingBytes < SIZE_BYTES) break;
      const size = this.peekSize();
      if (size < 0 || size > this.frameBytesMax)
        throw new FrameSizeError(size, this.frameBytesMax, this.limitName);
      // Joined only once the whole frame is here: a large frame is copied once, not once per chunk.
      if (this.pendingBytes < SIZE_BYTES + size) break;
      const head = this.joined();
      frames.push(head.subarray(SIZE_BYTES, SIZE_BYTES + size));
      const rest = head.subarray(SIZE_BYTES + size);
      this.pending = rest.length === 0 ? [] : [rest];
      this.pendingBytes = rest.length;
    }
    return frames;
  }

  private peekSize(): number {
    const first = this.pending[0]!;
    if (first.length >= SIZE_BYTES) return first.readInt32BE(0);
    return this.joined().readInt32BE(0);
  }

  private joined(): Buffer {
    if (this.pending.length > 1) this.pending = [Buffer.concat(this.pending, this.pendingBytes)];
    return this.pending[0]!;
  }
}
