// The file-system port on node:fs/promises: what the product runs on.

import { constants } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, readFile, rename, rm, unlink } from 'node:fs/promises';
import { assert } from '../../raft/assert.ts';
import type { FileSystem, OpenMode, StorageFile } from './file-system.ts';

const FLAGS: Record<OpenMode, string | number> = {
  create: 'wx+',
  replace: 'w',
  update: 'r+',
  // Not 'a': O_APPEND would send every positioned write to the end of the file.
  ensure: constants.O_RDWR | constants.O_CREAT,
};

class NodeFile implements StorageFile {
  private readonly handle: FileHandle;

  constructor(handle: FileHandle) {
    this.handle = handle;
  }

  async read(positionBytes: number, lengthBytes: number): Promise<Buffer> {
    const buffer = Buffer.allocUnsafe(lengthBytes);
    let readBytes = 0;
    while (readBytes < lengthBytes) {
      const { bytesRead } = await this.handle.read(
        buffer,
        readBytes,
        lengthBytes - readBytes,
        positionBytes + readBytes,
      );
      if (bytesRead === 0) break;
      readBytes += bytesRead;
    }
    return buffer.subarray(0, readBytes);
  }

  /** A write may be short, so loop until it is not. */
  async write(positionBytes: number, bytes: Uint8Array): Promise<void> {
    let writtenBytes = 0;
    while (writtenBytes < bytes.length) {
      const remaining = bytes.length - writtenBytes;
      const { bytesWritten } = await this.handle.write(
        bytes,
        writtenBytes,
        remaining,
        positionBytes + writtenBytes,
      );
      assert(bytesWritten > 0, 'write made no progress');
      writtenBytes += bytesWritten;
    }
  }

  sync(): Promise<void> {
    return this.handle.datasync();
  }

  truncate(sizeBytes: number): Promise<void> {
    return this.handle.truncate(sizeBytes);
  }

  async size(): Promise<number> {
    return (await this.handle.stat()).size;
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

export const nodeFileSystem: FileSystem = {
  async open(path, mode) {
    return new NodeFile(await open(path, FLAGS[mode]));
  },
  readFile: (path) => readFile(path),
  readdir: (dir) => readdir(dir),
  async mkdir(dir) {
    await mkdir(dir, { recursive: true });
  },
  rename: (from, to) => rename(from, to),
  unlink: (path) => unlink(path),
  rm: (path) => rm(path, { recursive: true, force: true }),
  async syncDir(dir) {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
};
