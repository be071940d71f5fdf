// The codecs of the records section. Node 24's zlib has gzip and zstd; snappy and lz4 would need
// native packages and are refused with a typed error until a producer needs them.
// Synchronous: a batch is at most ~1 MiB, and the async zlib API costs a thread-pool hop per batch.

import { gunzipSync, gzipSync, zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import { unsupportedCompressionError } from '../errors.ts';
import { CompressionType, type CompressionName } from './format.ts';

/** Bound on a batch's decompressed records: a small batch must not inflate into gigabytes. */
export const DECOMPRESSED_BYTES_MAX = 64 * 1024 * 1024;

export function compress(name: CompressionName, bytes: Buffer): Buffer {
  switch (name) {
    case 'none':
      return bytes;
    case 'gzip':
      return gzipSync(bytes);
    case 'zstd':
      return zstdCompressSync(bytes);
    default:
      throw unsupportedCompressionError(CompressionType[name]);
  }
}

/** Decompresses a records section; throws zlib's error on damaged input (callers wrap it). */
export function decompress(code: number, bytes: Buffer): Buffer {
  const options = { maxOutputLength: DECOMPRESSED_BYTES_MAX };
  switch (code) {
    case CompressionType.none:
      return bytes;
    case CompressionType.gzip:
      return gunzipSync(bytes, options);
    case CompressionType.zstd:
      return zstdDecompressSync(bytes, options);
    default:
      throw unsupportedCompressionError(code);
  }
}
