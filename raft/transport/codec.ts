// Encodes Raft messages to the protobuf schema in proto/raft.proto and back. The schema is loaded at
// runtime with protobufjs (no generated code). Decoding takes untrusted bytes: every failure, whether
// malformed protobuf or a well-formed message that does not fit the TypeScript types, is a
// RaftCodecError, which the HTTP server answers with 400.

import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import type {
  Entry,
  EntryType,
  Membership,
  Message,
  MessageType,
  NodeId,
  Snapshot,
  SnapshotMetadata,
} from '../types.ts';
import { logIndex, nodeId, term } from '../types.ts';

export interface MessageBatch {
  readonly from: NodeId;
  /** The sender's Raft listener, "host:port"; empty when unknown. */
  readonly fromAddress: string;
  readonly messages: readonly Message[];
}

/** Bytes that are not a valid MessageBatch. An operating error (bad input), never a bug of this node. */
export class RaftCodecError extends Error {
  /** Project error code: HTTP 400, bad Raft message batch. */
  readonly errorCode = 40001;
  override readonly name = 'RaftCodecError';
}

const protoPath = fileURLToPath(new URL('../../proto/raft.proto', import.meta.url));
const root = protobuf.loadSync(protoPath);
const batchType = root.lookupType('raft.MessageBatch');

// Plain-object view produced by toObject: uint64 as number (may be imprecise: checked), bytes as Buffer.
const toObjectOptions: protobuf.IConversionOptions = {
  longs: Number,
  enums: Number,
  defaults: true,
  arrays: true,
  oneofs: true,
};

// ---------------------------------------------------------------------------------------------------
// Encoding

type WireObject = Record<string, unknown>;

function entryToWire(entry: Entry): WireObject {
  return { term: entry.term, index: entry.index, type: entry.type, data: entry.data };
}

function snapshotToWire(snapshot: Snapshot): WireObject {
  const metadata = snapshot.metadata;
  return {
    metadata: {
      index: metadata.index,
      term: metadata.term,
      membership: { voters: metadata.membership.voters },
    },
    data: snapshot.data,
  };
}

function bodyToWire(message: Message): WireObject {
  switch (message.type) {
    case 'vote':
    case 'preVote':
      return {
        lastLogIndex: message.lastLogIndex,
        lastLogTerm: message.lastLogTerm,
        transfer: message.transfer,
      };
    case 'voteResponse':
    case 'preVoteResponse':
      return { reject: message.reject };
    case 'append':
      return {
        prevIndex: message.prevIndex,
        prevTerm: message.prevTerm,
        entries: message.entries.map(entryToWire),
        commit: message.commit,
      };
    case 'appendResponse':
      return {
        reject: message.reject,
        index: message.index,
        rejectHint: message.rejectHint,
        rejectHintTerm: message.rejectHintTerm,
      };
    case 'heartbeat':
      return { commit: message.commit, readRound: message.readRound };
    case 'heartbeatResponse':
      return { lastIndex: message.lastIndex, readRound: message.readRound };
    case 'snapshot':
      return { snapshot: snapshotToWire(message.snapshot) };
    case 'timeoutNow':
      return {};
    case 'observe':
      return { lastIndex: message.lastIndex };
    default: {
      const unreachable: never = message;
      throw new Error(`unknown message type ${JSON.stringify(unreachable)}`);
    }
  }
}

function messageToWire(message: Message): WireObject {
  // The oneof member is named after the TypeScript discriminant (pre_vote -> preVote, ...).
  return { from: message.from, to: message.to, term: message.term, [message.type]: bodyToWire(message) };
}

export function encodeBatch(batch: MessageBatch): Uint8Array {
  const wire = {
    from: batch.from,
    fromAddress: batch.fromAddress,
    messages: batch.messages.map(messageToWire),
  };
  return batchType.encode(wire).finish();
}

// ---------------------------------------------------------------------------------------------------
// Decoding: every read of the decoded object is checked, since the bytes come from the network.

type Fields = Readonly<Record<string, unknown>>;

function fail(reason: string): never {
  throw new RaftCodecError(`bad Raft message batch: ${reason}`);
}

function fieldsOf(value: unknown, where: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${where} is missing`);
  return value as Fields;
}

function safeInteger(fields: Fields, name: string, where: string): number {
  const value = fields[name];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    fail(`${where}.${name} is not a safe non-negative integer`);
  }
  return value;
}

function nodeIdField(fields: Fields, name: string, where: string): NodeId {
  const value = safeInteger(fields, name, where);
  if (value === 0) fail(`${where}.${name} is 0 (no node)`);
  return nodeId(value);
}

function booleanField(fields: Fields, name: string, where: string): boolean {
  const value = fields[name];
  if (typeof value !== 'boolean') fail(`${where}.${name} is not a boolean`);
  return value;
}

function bytesField(fields: Fields, name: string, where: string): Uint8Array {
  const value = fields[name];
  if (!(value instanceof Uint8Array)) fail(`${where}.${name} is not bytes`);
  // A plain Uint8Array copy: no Buffer subclass, and no view pinning the whole request body in memory.
  return new Uint8Array(value);
}

function arrayField(fields: Fields, name: string, where: string): readonly unknown[] {
  const value = fields[name];
  if (!Array.isArray(value)) fail(`${where}.${name} is not a list`);
  return value;
}

function entryType(fields: Fields, where: string): EntryType {
  const value = fields.type;
  if (value !== 0 && value !== 1) fail(`${where}.type is not a known entry type`);
  return value;
}

function entryFromWire(value: unknown, where: string): Entry {
  const fields = fieldsOf(value, where);
  return {
    term: term(safeInteger(fields, 'term', where)),
    index: logIndex(safeInteger(fields, 'index', where)),
    type: entryType(fields, where),
    data: bytesField(fields, 'data', where),
  };
}

function membershipFromWire(value: unknown, where: string): Membership {
  const fields = fieldsOf(value, where);
  const voters = arrayField(fields, 'voters', where).map((voter, i) =>
    nodeIdField({ voter }, 'voter', `${where}.voters[${i}]`),
  );
  return { voters };
}

function snapshotFromWire(value: unknown, where: string): Snapshot {
  const fields = fieldsOf(value, where);
  const metadataFields = fieldsOf(fields.metadata, `${where}.metadata`);
  const metadata: SnapshotMetadata = {
    index: logIndex(safeInteger(metadataFields, 'index', `${where}.metadata`)),
    term: term(safeInteger(metadataFields, 'term', `${where}.metadata`)),
    membership: membershipFromWire(metadataFields.membership, `${where}.metadata.membership`),
  };
  return { metadata, data: bytesField(fields, 'data', where) };
}

const messageTypes: ReadonlySet<string> = new Set<MessageType>([
  'vote',
  'preVote',
  'voteResponse',
  'preVoteResponse',
  'append',
  'appendResponse',
  'heartbeat',
  'heartbeatResponse',
  'snapshot',
  'timeoutNow',
  'observe',
]);

function isMessageType(value: unknown): value is MessageType {
  return typeof value === 'string' && messageTypes.has(value);
}

function messageFromWire(value: unknown, where: string): Message {
  const fields = fieldsOf(value, where);
  const type = fields.body;
  if (!isMessageType(type)) fail(`${where} has no body`);
  const base = {
    from: nodeIdField(fields, 'from', where),
    to: nodeIdField(fields, 'to', where),
    term: term(safeInteger(fields, 'term', where)),
  };
  const at = `${where}.${type}`;
  const body = fieldsOf(fields[type], at);
  switch (type) {
    case 'vote':
    case 'preVote':
      return {
        ...base,
        type,
        lastLogIndex: logIndex(safeInteger(body, 'lastLogIndex', at)),
        lastLogTerm: term(safeInteger(body, 'lastLogTerm', at)),
        transfer: booleanField(body, 'transfer', at),
      };
    case 'voteResponse':
    case 'preVoteResponse':
      return { ...base, type, reject: booleanField(body, 'reject', at) };
    case 'append':
      return {
        ...base,
        type,
        prevIndex: logIndex(safeInteger(body, 'prevIndex', at)),
        prevTerm: term(safeInteger(body, 'prevTerm', at)),
        entries: arrayField(body, 'entries', at).map((entry, i) =>
          entryFromWire(entry, `${at}.entries[${i}]`),
        ),
        commit: logIndex(safeInteger(body, 'commit', at)),
      };
    case 'appendResponse':
      return {
        ...base,
        type,
        reject: booleanField(body, 'reject', at),
        index: logIndex(safeInteger(body, 'index', at)),
        rejectHint: logIndex(safeInteger(body, 'rejectHint', at)),
        rejectHintTerm: term(safeInteger(body, 'rejectHintTerm', at)),
      };
    case 'heartbeat':
      return {
        ...base,
        type,
        commit: logIndex(safeInteger(body, 'commit', at)),
        readRound: safeInteger(body, 'readRound', at),
      };
    case 'heartbeatResponse':
      return {
        ...base,
        type,
        lastIndex: logIndex(safeInteger(body, 'lastIndex', at)),
        readRound: safeInteger(body, 'readRound', at),
      };
    case 'snapshot':
      return { ...base, type, snapshot: snapshotFromWire(body.snapshot, `${at}.snapshot`) };
    case 'timeoutNow':
      return { ...base, type };
    case 'observe':
      return { ...base, type, lastIndex: logIndex(safeInteger(body, 'lastIndex', at)) };
    default: {
      const unreachable: never = type;
      return fail(`unknown message type ${String(unreachable)}`);
    }
  }
}

function parseWire(bytes: Uint8Array): Fields {
  try {
    // Any throw here (truncated input, bad wire type, invalid UTF-8 handling, stack overflow on deeply
    // nested unknown groups) means the bytes are not a MessageBatch.
    return batchType.toObject(batchType.decode(bytes), toObjectOptions);
  } catch (error) {
    throw new RaftCodecError(
      `bad Raft message batch: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
      },
    );
  }
}

export function decodeBatch(bytes: Uint8Array): MessageBatch {
  const fields = parseWire(bytes);
  const from = nodeIdField(fields, 'from', 'batch');
  const fromAddress = fields.fromAddress;
  if (typeof fromAddress !== 'string') fail('batch.fromAddress is not a string');
  const messages = arrayField(fields, 'messages', 'batch').map((message, i) =>
    messageFromWire(message, `batch.messages[${i}]`),
  );
  return { from, fromAddress, messages };
}
