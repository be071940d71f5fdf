// Producing and reading records of a real cluster as a REST client would, for the acceptance tests.
import { expect } from 'vitest';
import { request } from 'undici';
import type { ProcessCluster } from './process-cluster.ts';

export interface Acked {
  readonly partition: number;
  readonly offset: number;
  readonly value: string;
}

/** One record (acks=all, the default) through node `via`; null when it was not acknowledged. */
export async function produce(
  c: ProcessCluster,
  via: number,
  topic: string,
  partition: number,
  value: string,
): Promise<Acked | null> {
  const answer = await c.http(via, 'POST', `${c.topicsPath()}/${topic}/records`, {
    partition_id: partition,
    value: { type: 'STRING', data: value },
  });
  if (answer.status !== 200 || answer.body?.error_code !== 200) return null;
  expect(answer.body.partition_id).toBe(partition);
  return { partition, offset: answer.body.offset as number, value };
}

/** Every record of a partition, read through `via` with the group-less v2 read, as [offset, value]. */
export async function readAll(
  c: ProcessCluster,
  via: number,
  topic: string,
  partition: number,
): Promise<Map<number, string>> {
  const records = new Map<number, string>();
  for (let offset = 0; ; ) {
    const response = await request(
      `http://127.0.0.1:${c.node(via).clientPort}/topics/${topic}/partitions/${partition}/records?offset=${offset}&timeout=200&max_bytes=1048576`,
      { headers: { accept: 'application/vnd.kafka.binary.v2+json' } },
    );
    const body = (await response.body.json()) as Array<{ offset: number; value: string | null }>;
    expect(response.statusCode, JSON.stringify(body)).toBe(200);
    if (body.length === 0) return records;
    for (const record of body) {
      expect(records.has(record.offset), `offset ${record.offset} read twice`).toBe(false);
      records.set(record.offset, Buffer.from(record.value ?? '', 'base64').toString('utf8'));
      offset = record.offset + 1;
    }
  }
}
