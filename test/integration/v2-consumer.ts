// A REST v2 consumer instance (Confluent REST Proxy) of a real cluster, for the acceptance tests.
import { request } from 'undici';
import { expect } from 'vitest';
import type { ProcessCluster } from './process-cluster.ts';

const V2 = 'application/vnd.kafka.v2+json';
const BINARY = 'application/vnd.kafka.binary.v2+json';

export async function v2(
  c: ProcessCluster,
  node: number,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  const response = await request(`http://127.0.0.1:${c.node(node).clientPort}${path}`, {
    method,
    headers: { accept: `${BINARY}, ${V2}`, ...(body !== undefined ? { 'content-type': V2 } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    headersTimeout: 20_000,
    bodyTimeout: 20_000,
  });
  const text = await response.body.text();
  return { status: response.statusCode, body: text === '' ? null : JSON.parse(text) };
}

export interface Consumer {
  readonly node: number;
  readonly path: string;
}

/** An instance `name` of `group` on `node` (binary, earliest, no auto-commit), subscribed to `topic`. */
export async function createConsumer(
  c: ProcessCluster,
  node: number,
  name: string,
  options: { group?: string; topic?: string } = {},
): Promise<Consumer> {
  const group = options.group ?? 'g1';
  const created = await v2(c, node, 'POST', `/consumers/${group}`, {
    name,
    format: 'binary',
    'auto.offset.reset': 'earliest',
    'auto.commit.enable': 'false',
  });
  expect(created.status, JSON.stringify(created.body)).toBe(200);
  const consumer = { node, path: `/consumers/${group}/instances/${name}` };
  const subscribed = await v2(c, node, 'POST', `${consumer.path}/subscription`, {
    topics: [options.topic ?? 'events'],
  });
  expect(subscribed.status, JSON.stringify(subscribed.body)).toBe(204);
  return consumer;
}

/** One poll; the values read, as UTF-8. */
export async function poll(c: ProcessCluster, consumer: Consumer): Promise<string[]> {
  const answer = await v2(c, consumer.node, 'GET', `${consumer.path}/records?timeout=500&max_bytes=1048576`);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return (answer.body as Array<{ value: string }>).map((record) =>
    Buffer.from(record.value, 'base64').toString('utf8'),
  );
}

/** Commits everything the instance has read. */
export async function commitAll(c: ProcessCluster, consumer: Consumer): Promise<void> {
  const answer = await v2(c, consumer.node, 'POST', `${consumer.path}/offsets`);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
}
