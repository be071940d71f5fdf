// Every node serves every REST v2 consumer instance: a request for an instance another node holds is
// forwarded to that node's client listener (its advertised CLIENT endpoint in the metadata image) and
// its answer relayed unchanged (status, content type, body bytes). The forwarded request carries
// FORWARDED_BY_HEADER: its receiver answers it itself (40403 when it does not hold the instance) and
// never forwards it again, so a loop cannot happen. The holder is the node an id names
// (instance-id.ts), else the one remembered, else the one of the other nodes that says it holds the
// instance when asked (GET /consumers/{g}/instances/{i}, forwarded-marked, answered from memory).
// A holder that cannot be reached (dead: the connection is refused) does not hold it any more: 40403
// at once. One that fails after the request went out may have acted on it: 500 / 50003 (retriable),
// never a second try elsewhere.

import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import type { BrokerId } from '../../metadata/ids.ts';
import { HTTP_ERRORS, HttpError } from '../errors.ts';
import type { ClusterNode } from '../ports.ts';
import { CLIENT_LISTENER } from '../render/broker.ts';
import { FORWARDED_BY_HEADER, holderSearch } from './instance-id.ts';

export interface RelayedRequest {
  readonly method: string;
  /** Path and query as the client sent them (still percent-encoded). */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer | null;
}

export interface RelayedAnswer {
  readonly status: number;
  readonly contentType: string | null;
  readonly body: Buffer;
}

/**
 * Carries a request to another node's client listener ("host:port"). Rejects with an error whose
 * `code` is in NOT_SENT_CODES when the node could not be reached at all (nothing was sent).
 */
export interface InstanceTransport {
  send(address: string, request: RelayedRequest, timeoutMs: number): Promise<RelayedAnswer>;
  close(): Promise<void>;
}

/** Errors of a request that never reached its node (as undici and Node's net raise them). */
export const NOT_SENT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/** A forwarded request may be a records long poll (capped at 30 s): the holder gets that and a margin. */
export const FORWARD_TIMEOUT_MS = 45_000;
/** How long a node asked "do you hold it?" may take (it answers from memory). */
export const PROBE_TIMEOUT_MS = 3_000;
/** Holders remembered (named instances); the oldest is forgotten first. */
const REMEMBERED_MAX = 10_000;

export interface ForwardingOptions {
  readonly node: ClusterNode;
  /** Whether this node holds (group, id) now. */
  readonly holds: (groupId: string, instanceId: string) => boolean;
  readonly transport: InstanceTransport;
  /** Largest body relayed (the app's body limit). */
  readonly bodyBytesMax: number;
  readonly logger: FastifyBaseLogger;
}

type Attempt =
  | { readonly kind: 'answered'; readonly answer: RelayedAnswer }
  | { readonly kind: 'not-held' }
  | { readonly kind: 'unreachable' };

export class InstanceForwarding {
  readonly #options: ForwardingOptions;
  /** `${group}\u0000${id}` -> the node that last said it holds the instance. */
  readonly #remembered = new Map<string, BrokerId>();

  constructor(options: ForwardingOptions) {
    this.#options = options;
  }

  /**
   * null when this node answers the request itself (it holds the instance, or the request was
   * forwarded to it); else the holder's answer. 404 / 40403 when no node holds the instance.
   */
  async relay(request: FastifyRequest, groupId: string, instanceId: string): Promise<RelayedAnswer | null> {
    if (request.headers[FORWARDED_BY_HEADER] !== undefined) return null;
    if (this.#options.holds(groupId, instanceId)) return null;
    const key = keyOf(groupId, instanceId);
    const search = holderSearch(
      this.#options.node.image(),
      this.#options.node.nodeId,
      instanceId,
      this.#remembered.get(key) ?? null,
    );
    const relayed = await this.#relayedRequest(request);
    let unreachable = 0;
    if (search.first !== null) {
      const attempt = await this.#attempt(search.first, relayed, FORWARD_TIMEOUT_MS);
      if (attempt.kind === 'answered') return this.#remember(key, search.first, attempt.answer);
      if (attempt.kind === 'unreachable') unreachable++;
    }
    this.#remembered.delete(key);
    const found = await this.#find(groupId, instanceId, search.rest, relayed.headers.authorization);
    unreachable += found.unreachable;
    const holder = found.holder;
    if (holder !== null) {
      const attempt = await this.#attempt(holder, relayed, FORWARD_TIMEOUT_MS);
      if (attempt.kind === 'answered') return this.#remember(key, holder, attempt.answer);
      if (attempt.kind === 'unreachable') unreachable++;
    }
    throw new HttpError(
      'CONSUMER_INSTANCE_NOT_FOUND',
      unreachable > 0
        ? `Consumer instance not found: no reachable node holds ${instanceId} of group ${groupId} ` +
            `(${unreachable} node(s) could not be asked: its node may be down).`
        : HTTP_ERRORS.CONSUMER_INSTANCE_NOT_FOUND.message,
    );
  }

  /** Whether a node other than this one holds (group, id) (a name must be unique in its group). */
  async heldElsewhere(groupId: string, instanceId: string, authorization?: string): Promise<boolean> {
    const search = holderSearch(this.#options.node.image(), this.#options.node.nodeId, instanceId, null);
    const others = search.first === null ? search.rest : [search.first, ...search.rest];
    return (await this.#find(groupId, instanceId, others, authorization)).holder !== null;
  }

  /**
   * The first of `brokers` (by id) that says it holds the instance, and how many could not be asked
   * (they count as not holding it).
   */
  async #find(
    groupId: string,
    instanceId: string,
    brokers: readonly BrokerId[],
    /** The client's Authorization header: the probe asks as the client (a SASL_* CLIENT listener). */
    authorization: string | undefined,
  ): Promise<{ readonly holder: BrokerId | null; readonly unreachable: number }> {
    const probe: RelayedRequest = {
      method: 'GET',
      path: `/consumers/${encodeURIComponent(groupId)}/instances/${encodeURIComponent(instanceId)}`,
      headers: {
        [FORWARDED_BY_HEADER]: String(this.#options.node.nodeId),
        accept: 'application/json',
        ...(authorization === undefined ? {} : { authorization }),
      },
      body: null,
    };
    // A probe changes nothing: a node that fails to answer it in time (paused, stopping) holds nothing
    // this node can reach.
    const answers = await Promise.all(
      brokers.map(async (broker) => ({
        broker,
        attempt: await this.#attempt(broker, probe, PROBE_TIMEOUT_MS).catch(
          (): Attempt => ({ kind: 'unreachable' }),
        ),
      })),
    );
    const holders = answers.filter(
      ({ attempt }) => attempt.kind === 'answered' && attempt.answer.status === 200,
    );
    if (holders.length > 1) {
      this.#options.logger.warn(
        { group: groupId, instance: instanceId, brokers: holders.map((h) => h.broker) },
        'several nodes hold a consumer instance of this name (created at the same time): using the first',
      );
    }
    return {
      holder: holders[0]?.broker ?? null,
      unreachable: answers.filter(({ attempt }) => attempt.kind === 'unreachable').length,
    };
  }

  /** One request to `broker`; a 40403 answer means it does not hold the instance (and did nothing). */
  async #attempt(broker: BrokerId, request: RelayedRequest, timeoutMs: number): Promise<Attempt> {
    const address = this.#address(broker);
    if (address === null) return { kind: 'unreachable' };
    let answer: RelayedAnswer;
    try {
      answer = await this.#options.transport.send(address, request, timeoutMs);
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      if (typeof code === 'string' && NOT_SENT_CODES.has(code)) {
        this.#options.logger.debug({ err: error, broker }, 'consumer instance holder unreachable');
        return { kind: 'unreachable' };
      }
      throw new HttpError(
        'KAFKA_RETRIABLE_ERROR',
        `Node ${broker}, which holds the consumer instance, did not answer: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    return isInstanceNotFound(answer) ? { kind: 'not-held' } : { kind: 'answered', answer };
  }

  #address(broker: BrokerId): string | null {
    const registration = this.#options.node.image().brokers.get(broker);
    const endpoint = registration?.endpoints.find((candidate) => candidate.name === CLIENT_LISTENER);
    if (endpoint === undefined) return null;
    // Hosts are registered without brackets (src/node/config.ts); a listener bound to every interface
    // must be advertised with a real host, so the endpoint is always one to dial.
    const { host, port } = endpoint;
    return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  }

  #remember(key: string, holder: BrokerId, answer: RelayedAnswer): RelayedAnswer {
    this.#remembered.delete(key);
    this.#remembered.set(key, holder);
    if (this.#remembered.size > REMEMBERED_MAX) {
      const oldest = this.#remembered.keys().next();
      if (oldest.done !== true) this.#remembered.delete(oldest.value);
    }
    return answer;
  }

  /** The client's request as it is relayed: method, path, the headers that matter, the body's bytes. */
  async #relayedRequest(request: FastifyRequest): Promise<RelayedRequest> {
    const headers: Record<string, string> = { [FORWARDED_BY_HEADER]: String(this.#options.node.nodeId) };
    // The client's credentials go along, so the holder checks the same principal (HTTP Basic).
    for (const name of ['content-type', 'accept', 'authorization'] as const) {
      const value = request.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    // Links the holder builds name the address the client used, as if it had answered directly.
    const host: unknown = request.host;
    if (typeof host === 'string' && host !== '') headers.host = host;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request.raw) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      size += buffer.length;
      if (size > this.#options.bodyBytesMax) throw new HttpError('PAYLOAD_TOO_LARGE');
      chunks.push(buffer);
    }
    return {
      method: request.method,
      path: request.url,
      headers,
      body: chunks.length === 0 ? null : Buffer.concat(chunks),
    };
  }
}

function keyOf(groupId: string, instanceId: string): string {
  return `${groupId}\u0000${instanceId}`;
}

function isInstanceNotFound(answer: RelayedAnswer): boolean {
  if (answer.status !== 404) return false;
  try {
    return (JSON.parse(answer.body.toString('utf8')) as { error_code?: unknown }).error_code === 40403;
  } catch {
    return false;
  }
}
