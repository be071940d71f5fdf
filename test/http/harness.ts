// Builds the client app over a FakeNode and injects requests into it (no sockets).

import type { FastifyInstance, InjectOptions } from 'fastify';
import { pino } from 'pino';
import type { ClientAppOptions } from '../../src/http/client-app.ts';
import { buildClientApp } from '../../src/http/client-app.ts';
import { CLUSTER_ID, FakeNode } from './fake-node.ts';

export const BASE = `/v3/clusters/${CLUSTER_ID}`;
/** What inject sends as Host unless told otherwise, hence the origin of every link. */
export const ORIGIN = 'http://localhost:80';

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

export interface Harness {
  readonly node: FakeNode;
  readonly app: FastifyInstance;
  readonly logs: LogLine[];
  request(options: InjectOptions): Promise<Reply>;
  get(url: string): Promise<Reply>;
  /** Sends `body` as JSON (objects are stringified; strings are sent as they are). */
  send(method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: unknown): Promise<Reply>;
  close(): Promise<void>;
}

export interface Reply {
  readonly status: number;
  readonly headers: Record<string, unknown>;
  readonly text: string;
  /** The parsed JSON body (an empty body is undefined). */
  readonly json: Record<string, unknown> & { readonly data?: Record<string, unknown>[] };
}

/** A body that is not one JSON value (streaming-mode reports) gives `{}`: tests read `text` then. */
function parseOrEmpty(body: string): Reply['json'] {
  try {
    return body === '' ? ({} as Reply['json']) : (JSON.parse(body) as Reply['json']);
  } catch {
    return {} as Reply['json'];
  }
}

export function newHarness(
  options: Omit<ClientAppOptions, 'node' | 'logger'> = {},
  node: FakeNode = new FakeNode(),
): Harness {
  const logs: LogLine[] = [];
  const logger = pino(
    { level: 'debug' },
    { write: (line: string) => logs.push(JSON.parse(line) as LogLine) },
  );
  const app = buildClientApp({ node, logger, ...options });
  const request = async (injectOptions: InjectOptions): Promise<Reply> => {
    const response = await app.inject(injectOptions);
    return {
      status: response.statusCode,
      headers: response.headers,
      text: response.body,
      json: parseOrEmpty(response.body),
    };
  };
  return {
    node,
    app,
    logs,
    request,
    get: (url) => request({ method: 'GET', url }),
    send: (method, url, body) =>
      request({
        method,
        url,
        ...(body !== undefined && {
          headers: { 'content-type': 'application/json' },
          payload: typeof body === 'string' ? body : JSON.stringify(body),
        }),
      }),
    close: () => app.close(),
  };
}

/** Creates a topic through the API and checks that it worked. */
export async function createTopic(
  harness: Harness,
  name: string,
  partitionsCount = 3,
  replicationFactor = 2,
): Promise<void> {
  const reply = await harness.send('POST', `${BASE}/topics`, {
    topic_name: name,
    partitions_count: partitionsCount,
    replication_factor: replicationFactor,
  });
  if (reply.status !== 201) throw new Error(`create topic ${name} failed: ${reply.status} ${reply.text}`);
}
