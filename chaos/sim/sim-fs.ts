// A simulated disk behind the storage file-system port (src/storage/file-system.ts): in memory,
// deterministic from a seed, with power loss and disk faults.
//
// The model is what Linux ext4 with data=ordered allows, without its accidental extras:
// - File content: writes and truncations land in the page cache (what reads see) and become durable when
//   the file is fsynced. At power loss each file keeps its durable content plus a prefix of its unsynced
//   operations, in issue order, the last kept write possibly torn (a prefix of its bytes): never bytes
//   that were not written (data=ordered: no stale blocks behind a committed size). A file with unsynced
//   writes can come back empty or short (delayed allocation).
// - Directory entries (create, rename, unlink, mkdir, rm) become durable when their directory is
//   fsynced; fsync of a file does not make its name durable (ext4 often does; POSIX does not promise it).
//   At power loss each directory keeps a prefix of its unsynced entry operations (the ext4 journal
//   commits metadata in order). A rename is one operation: the old name or the new one, never neither.
// - A failed fsync (EIO/ENOSPC) makes a prefix of the file's unsynced operations durable and drops the
//   writes among the rest from the dirty set: reads still see them, a later fsync succeeds without
//   writing them, and a power loss loses them (Linux since 4.13, "fsyncgate"). Truncations among the
//   rest stay pending (journaled metadata). A failed write may leave a prefix of its bytes.
// - Bit rot: `flipByte` flips one bit of a closed file on the medium (page cache and durable content).
// A crash or a kill ends the process: every handle and every operation in flight from before it fails.

import { posix } from 'node:path';
import type { FileSystem, OpenMode, StorageFile } from '../../src/storage/file-system.ts';
import type { Prng } from './prng.ts';

export type SimFsOperationKind =
  | 'open'
  | 'read'
  | 'write'
  | 'sync'
  | 'truncate'
  | 'size'
  | 'close'
  | 'readFile'
  | 'readdir'
  | 'mkdir'
  | 'rename'
  | 'unlink'
  | 'rm'
  | 'syncDir';

export interface SimFsOperation {
  readonly kind: SimFsOperationKind;
  readonly path: string;
}

export type FaultCode = 'EIO' | 'ENOSPC';

/** A one-shot fault: the matching operation after `skip` earlier matches fails with `code`. */
export interface SimFsFault {
  readonly operation: 'write' | 'sync' | 'syncDir';
  readonly code: FaultCode;
  /** Only operations on paths containing this. */
  readonly pathIncludes?: string;
  readonly skip?: number;
}

/**
 * What a power loss keeps of what was not durable: `random` (the PRNG picks a prefix per file and per
 * directory, and may tear a file's last kept write), `drop` (nothing), `keep` (everything: a kill -9),
 * `tear-last` (everything, but each file's last unsynced write is torn).
 */
export type CrashPolicy = 'random' | 'drop' | 'keep' | 'tear-last';

export interface SimFileSystemOptions {
  readonly random: Prng;
  /**
   * Called before every operation; the operation continues when the promise resolves (the simulation's
   * scheduler resolves it later to model latency). Undefined: no delay.
   */
  readonly delay?: (operation: SimFsOperation) => Promise<void> | undefined;
  /** Probability that a write, fsync or directory fsync fails by itself (EIO or ENOSPC, half each). */
  readonly faultProbability?: number;
}

export class SimFsError extends Error {
  readonly code: string;
  readonly path: string;

  constructor(code: string, operation: SimFsOperationKind, path: string) {
    super(`${code}: simulated ${operation} '${path}'`);
    this.code = code;
    this.path = path;
  }
}

/** Bytes that grow in place (amortized), so appends to a big segment stay cheap. */
class Bytes {
  private buffer = Buffer.alloc(0);
  length = 0;

  view(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  clone(): Bytes {
    const copy = new Bytes();
    copy.buffer = Buffer.from(this.view());
    copy.length = this.length;
    return copy;
  }

  write(positionBytes: number, data: Uint8Array): void {
    const end = positionBytes + data.length;
    if (end > this.buffer.length) {
      const grown = Buffer.alloc(Math.max(end, this.buffer.length * 2, 64));
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    // A gap reads as zeros: the tail of the buffer past `length` may hold bytes of an older truncation.
    if (positionBytes > this.length) this.buffer.fill(0, this.length, positionBytes);
    this.buffer.set(data, positionBytes);
    this.length = Math.max(this.length, end);
  }

  truncate(sizeBytes: number): void {
    if (sizeBytes > this.length) this.write(sizeBytes, new Uint8Array(0));
    this.length = sizeBytes;
  }

  apply(operation: ContentOperation): void {
    if (operation.kind === 'write') this.write(operation.positionBytes, operation.bytes);
    else this.truncate(operation.sizeBytes);
  }
}

type ContentOperation =
  | { readonly kind: 'write'; readonly positionBytes: number; readonly bytes: Buffer }
  | { readonly kind: 'truncate'; readonly sizeBytes: number };

interface Inode {
  readonly kind: 'file';
  readonly id: number;
  current: Bytes;
  durable: Bytes;
  /** Operations since the last fsync that a later fsync will make durable. */
  pending: ContentOperation[];
  openHandles: number;
}

/** One change of a directory's entries: a rename is one (remove `from`, add `name`). */
interface EntryOperation {
  readonly name: string;
  readonly node: Node | null;
  readonly removes?: string;
}

interface Directory {
  readonly kind: 'directory';
  readonly id: number;
  current: Map<string, Node>;
  durable: Map<string, Node>;
  pending: EntryOperation[];
}

type Node = Inode | Directory;

interface ArmedFault extends SimFsFault {
  remainingSkips: number;
}

export class SimFileSystem implements FileSystem {
  private readonly random: Prng;
  private readonly delayHook: SimFileSystemOptions['delay'];
  private readonly faultProbability: number;
  private root: Directory;
  private nextId = 1;
  /** Bumped by crash and kill: operations of an older process generation fail. */
  private generation = 0;
  private faults: ArmedFault[] = [];
  /** Operations started so far (a statistic, and what tests count to crash at a given point). */
  operations = 0;
  faultsInjected = 0;

  constructor(options: SimFileSystemOptions) {
    this.random = options.random;
    this.delayHook = options.delay;
    this.faultProbability = options.faultProbability ?? 0;
    this.root = this.newDirectory();
  }

  /** Arms a one-shot fault. */
  injectFault(fault: SimFsFault): void {
    this.faults.push({ ...fault, remainingSkips: fault.skip ?? 0 });
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** Power loss: the process dies and the disk keeps what was durable (plus what `policy` allows). */
  crash(policy: CrashPolicy = 'random'): void {
    this.generation++;
    this.faults = [];
    const seen = new Set<number>();
    this.crashDirectory(this.root, policy, seen);
  }

  /** kill -9: the process dies, the page cache (and so every write) survives. */
  kill(): void {
    this.generation++;
    this.faults = [];
    for (const inode of this.inodes()) inode.openHandles = 0;
  }

  /**
   * Flips one bit of a closed file, on the medium and in the page cache (bit rot found on the next
   * read). The PRNG picks the byte (unless given) and the bit; returns the byte's position.
   */
  flipByte(path: string, positionBytes?: number): number {
    const node = this.lookup(path);
    if (node?.kind !== 'file') throw new SimFsError('ENOENT', 'write', path);
    if (node.openHandles > 0) throw new Error(`flipByte: '${path}' is open`);
    if (node.current.length === 0) throw new Error(`flipByte: '${path}' is empty`);
    const at = positionBytes ?? this.random.nextInt(node.current.length);
    const mask = 1 << this.random.nextInt(8);
    for (const bytes of [node.current, node.durable]) {
      if (at < bytes.length) bytes.view()[at]! ^= mask;
    }
    return at;
  }

  /**
   * The file system as one process sees it: once a crash or kill ends that process, every operation
   * through this view fails, also those it starts later (code of a dead process that is still
   * scheduled must never touch the disk of its successor).
   */
  mount(): FileSystem {
    const generation = this.generation;
    return {
      open: (path, mode) => this.open(path, mode, generation),
      readFile: (path) => this.readFile(path, generation),
      readdir: (dir) => this.readdir(dir, generation),
      mkdir: (dir) => this.mkdir(dir, generation),
      rename: (from, to) => this.rename(from, to, generation),
      unlink: (path) => this.unlink(path, generation),
      rm: (path) => this.rm(path, generation),
      syncDir: (dir) => this.syncDir(dir, generation),
    };
  }

  /** A file's content as the running process sees it (the page cache, a copy), or undefined for no such file. */
  contentOf(path: string): Buffer | undefined {
    const node = this.lookup(path);
    return node?.kind === 'file' ? Buffer.from(node.current.view()) : undefined;
  }

  exists(path: string): boolean {
    return this.lookup(path) !== undefined;
  }

  /** Every file path (sorted), for tests and checkers. */
  listFiles(dir = '/'): string[] {
    const node = this.lookup(dir);
    if (node?.kind !== 'directory') return [];
    const paths: string[] = [];
    for (const name of [...node.current.keys()].sort()) {
      const child = node.current.get(name)!;
      const path = posix.join(dir, name);
      if (child.kind === 'file') paths.push(path);
      else paths.push(...this.listFiles(path));
    }
    return paths;
  }

  // --- the port ---

  async open(path: string, mode: OpenMode, generation = this.generation): Promise<StorageFile> {
    await this.enter('open', path, generation);
    const { parent, name } = this.parentOf(path, 'open');
    let node = parent.current.get(name);
    if (node?.kind === 'directory') throw new SimFsError('EISDIR', 'open', path);
    if (node !== undefined && mode === 'create') throw new SimFsError('EEXIST', 'open', path);
    if (node === undefined && mode === 'update') throw new SimFsError('ENOENT', 'open', path);
    if (node === undefined) {
      node = this.newInode();
      this.changeEntries(parent, { name, node });
    } else if (mode === 'replace') {
      this.changeContent(node, { kind: 'truncate', sizeBytes: 0 });
    }
    node.openHandles++;
    return new SimFile(this, node, { path, generation });
  }

  async readFile(path: string, generation = this.generation): Promise<Buffer> {
    await this.enter('readFile', path, generation);
    const node = this.lookup(path);
    if (node === undefined) throw new SimFsError('ENOENT', 'readFile', path);
    if (node.kind === 'directory') throw new SimFsError('EISDIR', 'readFile', path);
    return Buffer.from(node.current.view());
  }

  async readdir(dir: string, generation = this.generation): Promise<string[]> {
    await this.enter('readdir', dir, generation);
    const node = this.lookup(dir);
    if (node === undefined) throw new SimFsError('ENOENT', 'readdir', dir);
    if (node.kind === 'file') throw new SimFsError('ENOTDIR', 'readdir', dir);
    return [...node.current.keys()].sort();
  }

  async mkdir(dir: string, generation = this.generation): Promise<void> {
    await this.enter('mkdir', dir, generation);
    let at: Directory = this.root;
    let path = '/';
    for (const name of components(dir)) {
      path = posix.join(path, name);
      let child = at.current.get(name);
      if (child === undefined) {
        child = this.newDirectory();
        this.changeEntries(at, { name, node: child });
      }
      if (child.kind === 'file') throw new SimFsError('ENOTDIR', 'mkdir', path);
      at = child;
    }
  }

  async rename(from: string, to: string, generation = this.generation): Promise<void> {
    await this.enter('rename', from, generation);
    const source = this.parentOf(from, 'rename');
    const target = this.parentOf(to, 'rename');
    if (source.parent !== target.parent) throw new SimFsError('EXDEV', 'rename', `${from} -> ${to}`);
    const node = source.parent.current.get(source.name);
    if (node === undefined) throw new SimFsError('ENOENT', 'rename', from);
    if (node.kind === 'directory') throw new SimFsError('EISDIR', 'rename', from);
    if (source.name === target.name) return;
    this.changeEntries(source.parent, { name: target.name, node, removes: source.name });
  }

  async unlink(path: string, generation = this.generation): Promise<void> {
    await this.enter('unlink', path, generation);
    const { parent, name } = this.parentOf(path, 'unlink');
    const node = parent.current.get(name);
    if (node === undefined) throw new SimFsError('ENOENT', 'unlink', path);
    if (node.kind === 'directory') throw new SimFsError('EISDIR', 'unlink', path);
    this.changeEntries(parent, { name, node: null });
  }

  async rm(path: string, generation = this.generation): Promise<void> {
    await this.enter('rm', path, generation);
    const node = this.lookup(path);
    if (node === undefined) return;
    // As rm -r: every entry is removed on its own, so a power loss can leave a part of the tree.
    if (node.kind === 'directory') this.emptyDirectory(node);
    const { parent, name } = this.parentOf(path, 'rm');
    this.changeEntries(parent, { name, node: null });
  }

  async syncDir(dir: string, generation = this.generation): Promise<void> {
    await this.enter('syncDir', dir, generation);
    const node = this.lookup(dir);
    if (node === undefined) throw new SimFsError('ENOENT', 'syncDir', dir);
    if (node.kind === 'file') throw new SimFsError('ENOTDIR', 'syncDir', dir);
    const fault = this.takeFault('syncDir', dir);
    if (fault !== null) {
      // Part of the journal may have been committed; the rest stays dirty (metadata is not dropped).
      this.commitEntries(node, this.random.nextInt(node.pending.length + 1));
      throw new SimFsError(fault, 'syncDir', dir);
    }
    this.commitEntries(node, node.pending.length);
  }

  // --- used by SimFile ---

  /** Starts an operation: counts it, draws a fault, waits for the scheduler; returns the generation. */
  async enter(kind: SimFsOperationKind, path: string, generation = this.generation): Promise<number> {
    this.operations++;
    if (generation !== this.generation) throw new SimFsError('EIO', kind, `${path} (process gone)`);
    const delay = this.delayHook?.({ kind, path });
    if (delay !== undefined) await delay;
    // The crash may have come while the operation waited: it never reaches the disk.
    if (generation !== this.generation) throw new SimFsError('EIO', kind, `${path} (process gone)`);
    return generation;
  }

  /** The fault the next `operation` on `path` fails with, or null. */
  takeFault(operation: SimFsFault['operation'], path: string): FaultCode | null {
    const index = this.faults.findIndex(
      (fault) => fault.operation === operation && path.includes(fault.pathIncludes ?? ''),
    );
    if (index >= 0) {
      const fault = this.faults[index]!;
      if (fault.remainingSkips > 0) {
        fault.remainingSkips--;
        return null;
      }
      this.faults.splice(index, 1);
      this.faultsInjected++;
      return fault.code;
    }
    if (this.faultProbability > 0 && this.random.chance(this.faultProbability)) {
      this.faultsInjected++;
      return this.random.chance(0.5) ? 'EIO' : 'ENOSPC';
    }
    return null;
  }

  changeContent(inode: Inode, operation: ContentOperation): void {
    inode.current.apply(operation);
    inode.pending.push(operation);
  }

  /**
   * fsync of a file; a failure makes a prefix durable and forgets the writes after it (see the header).
   * Truncations stay pending: a size change is journaled metadata, not a page a writeback error drops.
   */
  syncContent(inode: Inode, failed: boolean): void {
    const kept = failed ? this.random.nextInt(inode.pending.length + 1) : inode.pending.length;
    for (const operation of inode.pending.slice(0, kept)) inode.durable.apply(operation);
    inode.pending = inode.pending.slice(kept).filter((operation) => operation.kind === 'truncate');
  }

  randomPrefix(lengthBytes: number): number {
    return this.random.nextInt(lengthBytes);
  }

  isCurrent(generation: number): boolean {
    return generation === this.generation;
  }

  // --- the model ---

  private newInode(): Inode {
    return {
      kind: 'file',
      id: this.nextId++,
      current: new Bytes(),
      durable: new Bytes(),
      pending: [],
      openHandles: 0,
    };
  }

  private newDirectory(): Directory {
    return { kind: 'directory', id: this.nextId++, current: new Map(), durable: new Map(), pending: [] };
  }

  private changeEntries(directory: Directory, operation: EntryOperation): void {
    applyEntry(directory.current, operation);
    directory.pending.push(operation);
  }

  private commitEntries(directory: Directory, count: number): void {
    for (const operation of directory.pending.slice(0, count)) applyEntry(directory.durable, operation);
    directory.pending = directory.pending.slice(count);
  }

  private emptyDirectory(directory: Directory): void {
    for (const [name, child] of [...directory.current.entries()].sort(byName)) {
      if (child.kind === 'directory') this.emptyDirectory(child);
      this.changeEntries(directory, { name, node: null });
    }
  }

  private crashDirectory(directory: Directory, policy: CrashPolicy, seen: Set<number>): void {
    if (seen.has(directory.id)) return;
    seen.add(directory.id);
    const pending = directory.pending.length;
    const kept = policy === 'random' ? this.random.nextInt(pending + 1) : policy === 'drop' ? 0 : pending;
    this.commitEntries(directory, kept);
    directory.pending = [];
    directory.current = new Map(directory.durable);
    for (const [, child] of [...directory.durable.entries()].sort(byName)) {
      if (child.kind === 'directory') this.crashDirectory(child, policy, seen);
      else this.crashFile(child, policy, seen);
    }
  }

  private crashFile(inode: Inode, policy: CrashPolicy, seen: Set<number>): void {
    if (seen.has(inode.id)) return;
    seen.add(inode.id);
    inode.openHandles = 0;
    const pending = inode.pending;
    const kept =
      policy === 'random' ? this.random.nextInt(pending.length + 1) : policy === 'drop' ? 0 : pending.length;
    const last = pending[kept - 1];
    const tear =
      last?.kind === 'write' &&
      last.bytes.length > 1 &&
      (policy === 'tear-last' || (policy === 'random' && this.random.chance(0.5)));
    for (const operation of pending.slice(0, tear ? kept - 1 : kept)) inode.durable.apply(operation);
    if (tear && last?.kind === 'write') {
      const bytes = last.bytes.subarray(0, 1 + this.random.nextInt(last.bytes.length - 1));
      inode.durable.apply({ kind: 'write', positionBytes: last.positionBytes, bytes });
    }
    inode.pending = [];
    inode.current = inode.durable.clone();
  }

  private *inodes(directory: Directory = this.root): Generator<Inode> {
    for (const child of directory.current.values()) {
      if (child.kind === 'file') yield child;
      else yield* this.inodes(child);
    }
  }

  private lookup(path: string): Node | undefined {
    let node: Node = this.root;
    for (const name of components(path)) {
      if (node.kind !== 'directory') return undefined;
      const child: Node | undefined = node.current.get(name);
      if (child === undefined) return undefined;
      node = child;
    }
    return node;
  }

  private parentOf(path: string, kind: SimFsOperationKind): { parent: Directory; name: string } {
    const names = components(path);
    const name = names.pop();
    if (name === undefined) throw new SimFsError('EISDIR', kind, path);
    const parent = this.lookup(`/${names.join('/')}`);
    if (parent === undefined) throw new SimFsError('ENOENT', kind, path);
    if (parent.kind !== 'directory') throw new SimFsError('ENOTDIR', kind, path);
    return { parent, name };
  }
}

class SimFile implements StorageFile {
  private readonly fs: SimFileSystem;
  private readonly inode: Inode;
  private readonly path: string;
  private readonly generation: number;
  private closed = false;

  constructor(fs: SimFileSystem, inode: Inode, options: { path: string; generation: number }) {
    this.fs = fs;
    this.inode = inode;
    this.path = options.path;
    this.generation = options.generation;
  }

  async read(positionBytes: number, lengthBytes: number): Promise<Buffer> {
    await this.enter('read');
    const view = this.inode.current.view();
    return Buffer.from(view.subarray(Math.min(positionBytes, view.length), positionBytes + lengthBytes));
  }

  async write(positionBytes: number, bytes: Uint8Array): Promise<void> {
    await this.enter('write');
    const fault = this.fs.takeFault('write', this.path);
    const copy = Buffer.from(bytes);
    if (fault !== null) {
      // A write that fails part way: a prefix of it may be in the page cache.
      const written = copy.length === 0 ? 0 : this.fs.randomPrefix(copy.length);
      if (written > 0) this.change({ kind: 'write', positionBytes, bytes: copy.subarray(0, written) });
      throw new SimFsError(fault, 'write', this.path);
    }
    this.change({ kind: 'write', positionBytes, bytes: copy });
  }

  async sync(): Promise<void> {
    await this.enter('sync');
    const fault = this.fs.takeFault('sync', this.path);
    this.fs.syncContent(this.inode, fault !== null);
    if (fault !== null) throw new SimFsError(fault, 'sync', this.path);
  }

  async truncate(sizeBytes: number): Promise<void> {
    await this.enter('truncate');
    this.change({ kind: 'truncate', sizeBytes });
  }

  async size(): Promise<number> {
    await this.enter('size');
    return this.inode.current.length;
  }

  async close(): Promise<void> {
    if (this.closed) throw new SimFsError('EBADF', 'close', this.path);
    this.closed = true;
    // A handle of a dead process is gone already; closing it changes nothing.
    if (this.fs.isCurrent(this.generation)) this.inode.openHandles--;
    await this.fs.enter('close', this.path, this.generation);
  }

  private async enter(kind: SimFsOperationKind): Promise<void> {
    if (this.closed) throw new SimFsError('EBADF', kind, this.path);
    await this.fs.enter(kind, this.path, this.generation);
  }

  private change(operation: ContentOperation): void {
    this.fs.changeContent(this.inode, operation);
  }
}

function applyEntry(entries: Map<string, Node>, operation: EntryOperation): void {
  if (operation.removes !== undefined) entries.delete(operation.removes);
  if (operation.node === null) entries.delete(operation.name);
  else entries.set(operation.name, operation.node);
}

function components(path: string): string[] {
  return posix
    .normalize(path)
    .split('/')
    .filter((name) => name !== '' && name !== '.');
}

function byName([left]: [string, Node], [right]: [string, Node]): number {
  return left < right ? -1 : left > right ? 1 : 0;
}
