// The consumer group operations a node forwards to the group's coordinator (proto/group-rpc.proto): the
// codec of requests and answers, and the server side that hands them to the local GroupApi. Errors travel
// as Kafka error names inside the answer.
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import type { Logger } from 'pino';
import type { InternalServer } from '../../raft/transport/http2-transport.ts';
import { KafkaError, type KafkaErrorName, KafkaErrors } from '../common/kafka-errors.ts';
import type {
  CommittedOffset,
  GroupApi,
  GroupDescription,
  GroupMembership,
  TopicPartition,
} from '../http/ports.ts';

export const GROUP_RPC_PATH = '/internal/v1/groups/';

const root = protobuf.loadSync(fileURLToPath(new URL('../../proto/group-rpc.proto', import.meta.url)));
const type = (name: string) => root.lookupType(`grouprpc.${name}`);
const responseType = type('GroupRpcResponse');
const OBJECT_OPTIONS: protobuf.IConversionOptions = {
  longs: Number,
  defaults: true,
  arrays: true,
  oneofs: true,
};

type GroupList = Awaited<ReturnType<GroupApi['list']>>;

/** Operation -> its request (as GroupApi takes it) and result. */
export interface GroupOperations {
  join: { request: Parameters<GroupApi['join']>[0]; result: GroupMembership };
  heartbeat: { request: Parameters<GroupApi['heartbeat']>[0]; result: GroupMembership };
  leave: { request: Parameters<GroupApi['leave']>[0]; result: undefined };
  commit: { request: Parameters<GroupApi['commit']>[0]; result: undefined };
  'fetch-offsets': { request: Parameters<GroupApi['fetchOffsets']>[0]; result: CommittedOffset[] };
  list: { request: Record<string, never>; result: GroupList };
  describe: { request: { groupId: string }; result: GroupDescription };
  delete: { request: { groupId: string }; result: undefined };
}
export type GroupOperation = keyof GroupOperations;

const REQUEST_TYPES: Record<GroupOperation, string> = {
  join: 'JoinRequest',
  heartbeat: 'MemberRequest',
  leave: 'MemberRequest',
  commit: 'CommitRequest',
  'fetch-offsets': 'FetchOffsetsRequest',
  list: 'ListRequest',
  describe: 'GroupIdRequest',
  delete: 'GroupIdRequest',
};

export function isGroupOperation(name: string): name is GroupOperation {
  return Object.hasOwn(REQUEST_TYPES, name);
}

/** A body that does not decode. */
export class GroupRpcCodecError extends Error {
  override readonly name = 'GroupRpcCodecError';
}

export function encodeGroupRequest<O extends GroupOperation>(
  operation: O,
  request: GroupOperations[O]['request'],
): Uint8Array {
  const messageType = type(REQUEST_TYPES[operation]);
  const wire: Record<string, unknown> =
    operation === 'fetch-offsets'
      ? {
          groupId: (request as GroupOperations['fetch-offsets']['request']).groupId,
          all: (request as GroupOperations['fetch-offsets']['request']).partitions === null,
          partitions: (request as GroupOperations['fetch-offsets']['request']).partitions ?? [],
          coordinatorEpoch: (request as GroupOperations['fetch-offsets']['request']).coordinatorEpoch,
        }
      : { ...request };
  if (wire.memberId === null) delete wire.memberId;
  if (wire.coordinatorEpoch === undefined) delete wire.coordinatorEpoch;
  return messageType.encode(messageType.fromObject(wire)).finish();
}

export function decodeGroupRequest<O extends GroupOperation>(
  operation: O,
  bytes: Uint8Array,
): GroupOperations[O]['request'] {
  const messageType = type(REQUEST_TYPES[operation]);
  let object: Record<string, unknown>;
  try {
    object = messageType.toObject(messageType.decode(bytes), OBJECT_OPTIONS);
  } catch (error) {
    throw new GroupRpcCodecError(`${operation}: ${(error as Error).message}`);
  }
  if (operation === 'join' || operation === 'commit') {
    object.memberId = typeof object.memberId === 'string' ? object.memberId : null;
  }
  if (operation === 'fetch-offsets') {
    return {
      groupId: object.groupId,
      partitions: object.all === true ? null : object.partitions,
      ...(typeof object.coordinatorEpoch === 'number' ? { coordinatorEpoch: object.coordinatorEpoch } : {}),
    } as GroupOperations[O]['request'];
  }
  return object as GroupOperations[O]['request'];
}

export function encodeGroupResult<O extends GroupOperation>(
  operation: O,
  outcome: GroupOperations[O]['result'] | KafkaError,
): Uint8Array {
  let message: Record<string, unknown>;
  if (outcome instanceof KafkaError)
    message = { errorName: outcome.errorName, errorMessage: outcome.message };
  else if (operation === 'join' || operation === 'heartbeat') message = { membership: outcome };
  else if (operation === 'fetch-offsets') message = { offsets: { offsets: outcome } };
  else if (operation === 'list') message = { list: { groups: outcome } };
  else if (operation === 'describe') message = { description: outcome };
  else message = { done: {} };
  return responseType.encode(responseType.fromObject(message)).finish();
}

export function decodeGroupResult<O extends GroupOperation>(
  operation: O,
  bytes: Uint8Array,
): GroupOperations[O]['result'] {
  let object: Record<string, unknown>;
  try {
    object = responseType.toObject(responseType.decode(bytes), OBJECT_OPTIONS);
  } catch (error) {
    throw new GroupRpcCodecError(`${operation} answer: ${(error as Error).message}`);
  }
  const errorName = object.errorName as string;
  if (errorName !== '') {
    if (!Object.hasOwn(KafkaErrors, errorName))
      throw new GroupRpcCodecError(`unknown error name ${errorName}`);
    throw new KafkaError(errorName as KafkaErrorName, object.errorMessage as string);
  }
  const result = object as {
    membership?: GroupMembership;
    offsets?: { offsets: CommittedOffset[] };
    list?: { groups: GroupList };
    description?: GroupDescription;
  };
  switch (operation) {
    case 'join':
    case 'heartbeat':
      return required(result.membership, operation) as GroupOperations[O]['result'];
    case 'fetch-offsets':
      return required(result.offsets, operation).offsets as GroupOperations[O]['result'];
    case 'list':
      return required(result.list, operation).groups as GroupOperations[O]['result'];
    case 'describe':
      return required(result.description, operation) as GroupOperations[O]['result'];
    default:
      return undefined as GroupOperations[O]['result'];
  }
}

function required<T>(value: T | undefined, operation: string): T {
  if (value === undefined) throw new GroupRpcCodecError(`${operation} answer without its result`);
  return value;
}

/** Calls the local GroupApi for a decoded request. */
export function serveGroupOperation<O extends GroupOperation>(
  api: GroupApi,
  operation: O,
  request: GroupOperations[O]['request'],
): Promise<GroupOperations[O]['result']> {
  const r = request as never;
  const calls: { [K in GroupOperation]: () => Promise<GroupOperations[K]['result']> } = {
    join: () => api.join(r),
    heartbeat: () => api.heartbeat(r),
    leave: () => api.leave(r).then(() => undefined),
    commit: () => api.commit(r).then(() => undefined),
    'fetch-offsets': () => api.fetchOffsets(r),
    list: () => api.list() as Promise<GroupList>,
    describe: () => api.describe((request as { groupId: string }).groupId),
    delete: () => api.deleteGroup((request as { groupId: string }).groupId).then(() => undefined),
  };
  return calls[operation]() as Promise<GroupOperations[O]['result']>;
}

/**
 * The coordinator side of a forwarded group request, whatever carries it: the HTTP status and body to
 * answer (200 with an encoded result or KafkaError; 404 unknown operation, 400 undecodable body, 503 no
 * coordinator here yet, 500 an unexpected failure).
 */
export async function answerGroupRequest(
  api: GroupApi | null,
  operation: string,
  body: Uint8Array,
  logger: Logger,
): Promise<{ readonly status: number; readonly body: Uint8Array | string }> {
  if (!isGroupOperation(operation)) return { status: 404, body: `Unknown operation ${operation}` };
  if (api === null) return { status: 503, body: 'This node is not a broker, or is not started yet.' };
  let decoded: GroupOperations[typeof operation]['request'];
  try {
    decoded = decodeGroupRequest(operation, body);
  } catch (error) {
    if (error instanceof GroupRpcCodecError) return { status: 400, body: error.message };
    throw error;
  }
  let outcome: GroupOperations[typeof operation]['result'] | KafkaError;
  try {
    outcome = await serveGroupOperation(api, operation, decoded);
  } catch (error) {
    if (!(error instanceof KafkaError)) {
      logger.error({ err: error, operation }, 'group request failed');
      return { status: 500, body: 'The group request failed on the coordinator.' };
    }
    outcome = error;
  }
  return { status: 200, body: encodeGroupResult(operation, outcome) };
}

/** POST /internal/v1/groups/<operation>: the coordinator side of a forwarded group request. */
export function registerGroupRoutes(
  server: InternalServer,
  api: () => GroupApi | null,
  logger: Logger,
): void {
  server.post<{ Params: { operation: string } }>(`${GROUP_RPC_PATH}:operation`, async (request, reply) => {
    const operation = request.params.operation;
    if (!isGroupOperation(operation)) return reply.code(404).send(`Unknown operation ${operation}`);
    const body = request.body;
    if (!(body instanceof Uint8Array)) return reply.code(415).send('The body must be application/x-protobuf');
    const answer = await answerGroupRequest(api(), operation, body, logger);
    if (typeof answer.body === 'string') return reply.code(answer.status).send(answer.body);
    return reply.code(answer.status).type('application/x-protobuf').send(Buffer.from(answer.body));
  });
}

export type { TopicPartition };
