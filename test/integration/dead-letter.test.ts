// Dead-letter topics with delayed retry on real processes: a REST v2 consumer rejects every third record
// of a topic with dead.letter.enable=true (and every redelivery of them); the others flow on and are
// committed before any retry is due; retries come back no sooner than dead.letter.retry.delay.ms after
// their rejection; after max.delivery.attempts they stay in the dead-letter topic and are not delivered
// again. A node other than the instance's is killed (kill -9) in the middle: no record is lost, every
// original offset ends up accepted or final in the dead-letter topic, each attempt written once.
import { afterEach, describe, expect, it } from 'vitest';
import { Admin, Consumer, type ConsumerRecord, Producer } from '../../src/client/index.ts';
import { ProcessCluster, waitFor } from './process-cluster.ts';
import { v2 } from './v2-consumer.ts';

let cluster: ProcessCluster | null = null;
const clients: { close(): Promise<void> }[] = [];

afterEach(async (context) => {
  await Promise.all(clients.splice(0).map((client) => client.close().catch(() => undefined)));
  if (cluster !== null && context.task.result?.state === 'fail') {
    for (const id of cluster.nodes.keys())
      console.log(`--- node ${id} log (tail)\n${(await cluster.logs(id)).slice(-4000)}`);
  }
  await cluster?.destroy();
  cluster = null;
});

const DELAY_MS = 1500;
const MAX_ATTEMPTS = 3;
const RECORDS = 30;
const GROUP = 'billing';
const INSTANCE = `/consumers/${GROUP}/instances/c1`;

interface Rec {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly value: string;
  readonly headers: readonly { readonly name: string; readonly value: string | null }[];
}

const text = (base64: string | null) =>
  base64 === null ? null : Buffer.from(base64, 'base64').toString('utf8');
const headersOf = (record: Rec) =>
  Object.fromEntries(record.headers.map((h) => [h.name, text(h.value)])) as Record<
    string,
    string | undefined
  >;

describe('dead-letter topics (real processes)', () => {
  it('sets rejected records aside, retries them after the delay, keeps finals, and loses none when a node dies', async () => {
    const c = await ProcessCluster.create({ controllers: 3 });
    cluster = c;
    await c.startAll();
    const created = await c.http(1, 'POST', c.topicsPath(), {
      topic_name: 'orders',
      partitions_count: 2,
      configs: [
        { name: 'dead.letter.enable', value: 'true' },
        { name: 'dead.letter.retry.delay.ms', value: String(DELAY_MS) },
        { name: 'max.delivery.attempts', value: String(MAX_ATTEMPTS) },
      ],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(
      (await c.http(2, 'POST', c.topicsPath(), { topic_name: 'plain', partitions_count: 1 })).status,
    ).toBe(201);

    // 30 records; each one's origin (partition, offset) by its value.
    const origin = new Map<string, string>();
    for (let i = 0; i < RECORDS; i++) {
      const answer = await c.http((i % 3) + 1, 'POST', `${c.topicsPath()}/orders/records`, {
        partition_id: i % 2,
        value: { type: 'STRING', data: `r-${i}` },
      });
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      origin.set(`r-${i}`, `${answer.body.partition_id}@${answer.body.offset}`);
    }
    const plain = await c.http(1, 'POST', `${c.topicsPath()}/plain/records`, {
      value: { type: 'STRING', data: 'p' },
    });
    expect(plain.status).toBe(200);

    const made = await v2(c, 1, 'POST', `/consumers/${GROUP}`, {
      name: 'c1',
      format: 'binary',
      'auto.offset.reset': 'earliest',
      'auto.commit.enable': 'false',
    });
    expect(made.status, JSON.stringify(made.body)).toBe(200);
    expect((await v2(c, 1, 'POST', `${INSTANCE}/subscription`, { topics: ['orders', 'plain'] })).status).toBe(
      204,
    );
    expect((await v2(c, 1, 'GET', `${INSTANCE}/subscription`)).body).toEqual({
      topics: ['orders', 'orders.dlq', 'plain'],
    });

    /** Rejects one record; retried through failover until the dead-letter copy is acknowledged. */
    const reject = async (record: Rec, reason: string): Promise<void> => {
      const body = {
        records: [{ topic: record.topic, partition: record.partition, offset: record.offset, reason }],
      };
      let tries = 0;
      await waitFor(
        `rejection of ${record.topic}-${record.partition}@${record.offset}`,
        async () => {
          tries += 1;
          const answer = await v2(c, 1, 'POST', `${INSTANCE}/rejections`, body);
          if (answer.status === 204) return true;
          // A try that timed out on our side may have gone through on the node's.
          const message = String((answer.body as { message?: unknown } | null)?.message);
          if (tries > 1 && answer.status === 409 && message.includes('rejected already')) return true;
          expect(answer.status, JSON.stringify(answer.body)).toBeGreaterThanOrEqual(500);
          return false;
        },
        30_000,
      );
    };

    const accepted = new Set<string>();
    /** When each original was last rejected (by value), and how many times. */
    const rejectedAt = new Map<string, number>();
    const rejections = new Map<string, number>();
    let firstRejectionAt = Number.POSITIVE_INFINITY;
    let othersCommittedAt: number | null = null;
    let firstRetryAt: number | null = null;
    let killed: number | null = null;
    let refusalsChecked = false;
    const finished = () =>
      accepted.size === RECORDS - RECORDS / 3 &&
      [...rejections.values()].length === RECORDS / 3 &&
      [...rejections.values()].every((n) => n === MAX_ATTEMPTS);

    await waitFor(
      'every record accepted or rejected max.delivery.attempts times',
      async () => {
        const answer = await v2(c, 1, 'GET', `${INSTANCE}/records?timeout=500&max_bytes=1048576`);
        if (answer.status >= 500) return false; // failover under way
        expect(answer.status, JSON.stringify(answer.body)).toBe(200);
        for (const record of answer.body as Rec[]) {
          const value = text(record.value)!;
          if (record.topic === 'plain') {
            if (!refusalsChecked) {
              // Rejections the instance refuses: a topic without dead letters; a record it was never given
              // (through other nodes, which relay them to the instance's).
              const refused = await v2(c, 3, 'POST', `${INSTANCE}/rejections`, {
                records: [{ topic: 'plain', partition: 0, offset: record.offset }],
              });
              expect(refused.status).toBe(400);
              expect((refused.body as { message: string }).message).toContain('dead.letter.enable=true');
              const never = await v2(c, 2, 'POST', `${INSTANCE}/rejections`, {
                records: [{ topic: 'orders', partition: 0, offset: 999 }],
              });
              expect(never.status).toBe(409);
              expect(never.body).toMatchObject({ error_code: 40903 });
              refusalsChecked = true;
            }
            continue;
          }
          if (record.topic === 'orders') {
            const index = Number(value.slice(2));
            if (index % 3 !== 0) {
              accepted.add(value);
              continue;
            }
            expect(rejections.has(value), `${value} delivered from orders twice`).toBe(false);
            const at = Date.now();
            firstRejectionAt = Math.min(firstRejectionAt, at);
            rejectedAt.set(value, at);
            await reject(record, `attempt 1 of ${value}`);
            rejections.set(value, 1);
            continue;
          }
          // A retry from the dead-letter topic, presented as what it is.
          expect(record.topic).toBe('orders.dlq');
          const headers = headersOf(record);
          const attempts = Number(headers['dlq.attempts']);
          expect(`${headers['dlq.origin.partition']}@${headers['dlq.origin.offset']}`).toBe(
            origin.get(value),
          );
          expect(attempts).toBe(rejections.get(value));
          expect(attempts).toBeLessThan(MAX_ATTEMPTS);
          expect(Date.now() - rejectedAt.get(value)!, `${value} came back too early`).toBeGreaterThanOrEqual(
            DELAY_MS,
          );
          firstRetryAt ??= Date.now();
          if (killed === null) {
            // In the middle: kill -9 a node that is not the instance's, a dead-letter leader if there is one.
            const leaders = (await c.partitions(1, 'orders.dlq')).map((p) => p.leader_id);
            killed = leaders.find((id) => id !== 1) ?? 2;
            await c.stop(killed, 'SIGKILL');
          }
          rejectedAt.set(value, Date.now());
          await reject(record, `attempt ${attempts + 1} of ${value}`);
          rejections.set(value, attempts + 1);
        }
        const commit = await v2(c, 1, 'POST', `${INSTANCE}/offsets`);
        if (commit.status === 200 && othersCommittedAt === null && accepted.size === RECORDS - RECORDS / 3) {
          othersCommittedAt = Date.now();
        }
        return finished();
      },
      40_000,
    );
    expect(refusalsChecked).toBe(true);
    expect(killed).not.toBeNull();
    // The others went on and were committed before any retry was due.
    expect(othersCommittedAt).not.toBeNull();
    expect(othersCommittedAt!).toBeLessThan(firstRejectionAt + DELAY_MS);
    expect(firstRetryAt!).toBeGreaterThanOrEqual(firstRejectionAt + DELAY_MS);

    // Finals are not delivered again, well past their would-be retry time.
    const until = Date.now() + DELAY_MS + 1000;
    while (Date.now() < until) {
      const answer = await v2(c, 1, 'GET', `${INSTANCE}/records?timeout=500`);
      if (answer.status >= 500) continue;
      expect(answer.body).toEqual([]);
    }

    // Read group-less, the dead-letter topic holds each rejected record's three attempts once each, the
    // last one final (no retry time) with its origin; every original offset is accepted or final there.
    const dead: Rec[] = [];
    for (let partition = 0; partition < 2; partition++) {
      const end = await waitFor(`end of orders.dlq-${partition}`, async () => {
        const answer = await c.get(1, `/topics/orders.dlq/partitions/${partition}/offsets`);
        return answer.status === 200 ? (answer.body.end_offset as number) : undefined;
      });
      while (dead.filter((r) => r.partition === partition).length < end) {
        const next = dead.filter((r) => r.partition === partition).length;
        const answer = await v2(
          c,
          1,
          'GET',
          `/topics/orders.dlq/partitions/${partition}/records?offset=${next}`,
        );
        expect(answer.status, JSON.stringify(answer.body)).toBe(200);
        dead.push(...(answer.body as Rec[]));
      }
    }
    expect(dead).toHaveLength((RECORDS / 3) * MAX_ATTEMPTS);
    const finals = dead.filter((r) => headersOf(r)['dlq.retry.at'] === undefined);
    expect(finals).toHaveLength(RECORDS / 3);
    for (const record of finals) {
      const value = text(record.value)!;
      const headers = headersOf(record);
      expect(headers).toMatchObject({
        'dlq.origin.topic': 'orders',
        'dlq.group.id': GROUP,
        'dlq.attempts': String(MAX_ATTEMPTS),
        'dlq.reason': `attempt ${MAX_ATTEMPTS} of ${value}`,
      });
      expect(`${headers['dlq.origin.partition']}@${headers['dlq.origin.offset']}`).toBe(origin.get(value));
      // The records of origin partition p are set aside in partition p.
      expect(String(record.partition)).toBe(headers['dlq.origin.partition']);
    }
    const accounted = new Set([...accepted, ...finals.map((r) => text(r.value)!)]);
    expect([...accounted].sort()).toEqual([...origin.keys()].sort());
  }, 120_000);

  it('the SDK consumer rejects, gets retries when due, keeps finals, as the REST instances do', async () => {
    const c = await ProcessCluster.create({
      controllers: 1,
      overrides: { 'min.insync.replicas': '1', 'offsets.topic.replication.factor': '1' },
    });
    cluster = c;
    await c.startAll();
    const bootstrap = `http://127.0.0.1:${c.node(1).clientPort}`;
    const admin = new Admin({ bootstrap });
    clients.push(admin);
    await admin.createTopics([
      {
        topic: 'jobs',
        numPartitions: 1,
        configs: {
          'dead.letter.enable': 'true',
          'dead.letter.retry.delay.ms': '800',
          'max.delivery.attempts': '2',
        },
      },
    ]);
    const producer = new Producer({ bootstrap, lingerMs: 1 });
    clients.push(producer);
    await Promise.all(
      ['a', 'b', 'c'].map((value) => producer.send({ topic: 'jobs', value, headers: { job: value } })),
    );
    const consumer = new Consumer({
      bootstrap,
      groupId: 'workers',
      autoOffsetReset: 'earliest',
      enableAutoCommit: false,
      fetchMaxWaitMs: 200,
    });
    clients.push(consumer);
    await consumer.subscribe(['jobs']);
    expect((await admin.describeTopics(['jobs.dlq']))[0]!.partitions).toHaveLength(1);
    const polled: ConsumerRecord[] = [];
    await waitFor('the 3 records', async () => {
      polled.push(...(await consumer.poll(200)));
      return polled.length === 3;
    });
    const b = polled.find((r) => r.value?.toString() === 'b')!;
    const rejectedAt = Date.now();
    await consumer.reject([b], 'boom');
    await expect(consumer.reject([b])).rejects.toThrow('was rejected already');
    await expect(consumer.reject([{ ...b, offset: 99 }])).rejects.toThrow('was not returned');
    await consumer.commit();

    // The retry, no sooner than the delay, as a record of the dead-letter topic; rejected again: final.
    const retries: ConsumerRecord[] = [];
    await waitFor('the retry of b', async () => {
      retries.push(...(await consumer.poll(200)));
      return retries.length > 0;
    });
    expect(Date.now() - rejectedAt).toBeGreaterThanOrEqual(800);
    expect(retries).toHaveLength(1);
    const retry = retries[0]!;
    expect(retry).toMatchObject({ topic: 'jobs.dlq', partition: 0, offset: 0 });
    const headers = Object.fromEntries(retry.headers.map((h) => [h.key, h.value?.toString()]));
    expect(headers).toMatchObject({
      job: 'b',
      'dlq.origin.topic': 'jobs',
      'dlq.origin.offset': String(b.offset),
      'dlq.group.id': 'workers',
      'dlq.attempts': '1',
      'dlq.reason': 'boom',
    });
    await consumer.reject([retry], 'boom again');
    const quiet = Date.now() + 1_500;
    while (Date.now() < quiet) expect(await consumer.poll(200)).toEqual([]);
    await consumer.commit();
    const committed = await admin.listConsumerGroupOffsets('workers');
    expect(Object.fromEntries(committed.map((o) => [`${o.topic}-${o.partition}`, o.offset]))).toEqual({
      'jobs-0': 3,
      'jobs.dlq-0': 2,
    });

    // Read without a group, the dead-letter topic is plain records: the final copy has no retry time.
    const reader = new Consumer({ bootstrap, autoOffsetReset: 'earliest', fetchMaxWaitMs: 200 });
    clients.push(reader);
    reader.assign([{ topic: 'jobs.dlq', partition: 0 }]);
    const dead: ConsumerRecord[] = [];
    await waitFor('the two dead-letter records', async () => {
      dead.push(...(await reader.poll(200)));
      return dead.length === 2;
    });
    const final = Object.fromEntries(dead[1]!.headers.map((h) => [h.key, h.value?.toString()]));
    expect(final).toMatchObject({ 'dlq.attempts': '2', 'dlq.reason': 'boom again', job: 'b' });
    expect(final['dlq.retry.at']).toBeUndefined();
  }, 60_000);
});
