// The web console on a real 3-node cluster: first the API pieces it adds (records with timestamps and
// headers, looked up by time through a node that does not lead; the brokers' traffic; GET / for a
// browser), then Debian's chromium driven by playwright-core through every page: the nodes, creating a
// topic, producing a record and seeing it (JSON pretty-printed, its header, user data shown as text), a
// REST v2 consumer group's lag and resetting it, a live chart. A screenshot of each page goes to
// .ci-results/screenshots/<page>.png (CI keeps .ci-results).
//
// chromium comes from Debian (.ci/run installs it). Without it the browser tests are skipped with the
// reason printed, except under CI=true, where a missing chromium fails them.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { ProcessCluster, waitFor } from './process-cluster.ts';
import { commitAll, createConsumer, poll, v2 } from './v2-consumer.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = fileURLToPath(new URL('../../.ci-results/screenshots/', import.meta.url));
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

let cluster: ProcessCluster;

beforeAll(async () => {
  cluster = await ProcessCluster.create({ controllers: 3 });
  await cluster.startAll();
});
afterEach(async (context) => {
  if (context.task.result?.state !== 'fail') return;
  for (const id of cluster.nodes.keys())
    console.log(`--- node ${id} log (tail)\n${(await cluster.logs(id)).slice(-4000)}`);
});
afterAll(async () => {
  await cluster?.destroy();
});

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

async function produce(
  via: number,
  topic: string,
  record: Record<string, unknown>,
): Promise<{ offset: number }> {
  const answer = await cluster.http(via, 'POST', `${cluster.topicsPath()}/${topic}/records`, record);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body;
}

describe('the API under the console', () => {
  it('reads records with timestamps and headers, from a time, through a node that does not lead', async () => {
    const created = await cluster.http(1, 'POST', cluster.topicsPath(), {
      topic_name: 'browse-api',
      partitions_count: 1,
      replication_factor: 3,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const t0 = Date.UTC(2024, 4, 1);
    for (let i = 0; i < 3; i++) {
      await produce(1, 'browse-api', {
        partition_id: 0,
        timestamp: t0 + 1000 * i,
        key: { type: 'STRING', data: `k${i}` },
        value: { type: 'JSON', data: { i } },
        headers: [{ name: 'h', value: b64(`v${i}`) }],
      });
    }
    const [partition] = await cluster.partitions(1, 'browse-api');
    const follower = [1, 2, 3].find((id) => id !== partition!.leader_id)!;
    const path = `${cluster.topicsPath()}/browse-api/partitions/0/records`;
    const fromTime = await cluster.get(follower, `${path}?timestamp=${t0 + 500}`);
    expect(fromTime.status, JSON.stringify(fromTime.body)).toBe(200);
    expect(fromTime.body).toMatchObject({ start_offset: 1, log_start_offset: 0, high_watermark: 3 });
    expect(fromTime.body.data).toEqual(
      [1, 2].map((i) =>
        expect.objectContaining({
          offset: i,
          timestamp: new Date(t0 + 1000 * i).toISOString(),
          key: { type: 'BINARY', data: b64(`k${i}`) },
          value: { type: 'BINARY', data: b64(JSON.stringify({ i })) },
          headers: [{ name: 'h', value: b64(`v${i}`) }],
        }),
      ),
    );
    const after = await cluster.get(follower, `${path}?timestamp=${t0 + 5000}`);
    expect(after.body).toMatchObject({ start_offset: 3, data: [] });
  });

  it("sums every broker's leader traffic, through any node", async () => {
    const answer = await waitFor('every broker counted in the traffic', async () => {
      const traffic = await cluster.get(2, `/v3/clusters/${cluster.clusterId}/broker-traffic`);
      const data = traffic.body?.data ?? [];
      return data.length === 3 && data.every((b: { error: unknown }) => b.error === null) ? data : undefined;
    });
    // browse-api's three records were appended by its leader, and read back above.
    const sum = (field: string) =>
      answer.reduce((total: number, b: Record<string, number>) => total + b[field]!, 0);
    expect(sum('messages_in_total')).toBeGreaterThanOrEqual(3);
    expect(sum('messages_out_total')).toBeGreaterThanOrEqual(2);
  });

  it('sends a browser from / to /ui/, and serves the console', async () => {
    const base = `http://127.0.0.1:${cluster.node(3).clientPort}`;
    const root = await request(`${base}/`, { headers: { accept: BROWSER_ACCEPT } });
    await root.body.dump();
    expect(root.statusCode).toBe(302);
    expect(root.headers.location).toBe('/ui/');
    const api = await request(`${base}/`, { headers: { accept: 'application/json' } });
    expect(await api.body.json()).toEqual({ error_code: 404, message: 'HTTP 404 Not Found' });
    const page = await request(`${base}/ui/`);
    expect(page.statusCode).toBe(200);
    expect(await page.body.text()).toContain('app.js');
  });
});

/** The part of a canvas the test looks at (the project compiles without the DOM's types). */
interface CanvasLike {
  readonly width: number;
  readonly height: number;
  getContext(
    kind: '2d',
  ): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
}

/** Chromium, or a skip (printed) when it is missing; under CI a missing chromium fails. */
function requireChromium(context: TestContext): void {
  if (existsSync(CHROMIUM)) return;
  const reason = `chromium is not installed at ${CHROMIUM}`;
  if (process.env.CI === 'true')
    throw new Error(`${reason}: CI must run the console's browser tests (.ci/run installs it)`);
  console.log(`skipped: ${reason}; apt-get install -y chromium (or set CHROMIUM_PATH)`);
  context.skip();
}

describe('the console in a browser', () => {
  let browser: Browser | null = null;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) return;
    await mkdir(SCREENSHOTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
    page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });
  afterAll(async () => {
    await browser?.close();
  });

  const open = (node: number, hash: string) =>
    page.goto(`http://127.0.0.1:${cluster.node(node).clientPort}/ui/#${hash}`);
  const screenshot = (name: string) => page.screenshot({ path: `${SCREENSHOTS}${name}.png`, fullPage: true });

  it('shows the nodes and the metadata quorum', async (context) => {
    requireChromium(context);
    await page.goto(`http://127.0.0.1:${cluster.node(2).clientPort}/`);
    expect(page.url()).toMatch(/\/ui\/$/);
    await page.locator('[data-node]').nth(2).waitFor();
    expect(await page.locator('[data-node]').count()).toBe(3);
    for (const id of [1, 2, 3]) {
      const row = page.locator(`[data-node="${id}"]`);
      await expect.poll(() => row.textContent()).toContain('broker, controller');
      expect(await row.textContent()).toContain(`127.0.0.1:${cluster.node(id).clientPort}`);
      expect(await row.textContent()).toContain('unfenced');
    }
    expect(await page.textContent('main')).toContain('quorum leader');
    expect(await page.textContent('[data-stat="offline"]')).toContain('0');
    await screenshot('overview');
  });

  it('creates a topic from the form, and shows an API error with its code', async (context) => {
    requireChromium(context);
    await open(1, '/topics');
    const form = page.locator('#create-topic');
    await form.locator('[name=name]').fill('console-orders');
    await form.locator('[name=partitions]').fill('2');
    await form.locator('[name=replication]').fill('3');
    await form.locator('[name=configs]').fill('retention.ms=86400000');
    await form.locator('button').click();
    await page.getByText('Topic console-orders created.').waitFor();
    await page.locator('[data-topic="console-orders"]').waitFor();
    const created = await cluster.get(3, `${cluster.topicsPath()}/console-orders`);
    expect(created.body).toMatchObject({ partitions_count: 2, replication_factor: 3 });
    const retention = await cluster.get(3, `${cluster.topicsPath()}/console-orders/configs/retention.ms`);
    expect(retention.body.value).toBe('86400000');

    await form.locator('[name=name]').fill('console-orders');
    await form.locator('button').click();
    await page.getByText("Error 40002: Topic 'console-orders' already exists.").waitFor();
    await page.locator('#topic-search').fill('console');
    await screenshot('topics');

    await page.locator('[data-topic="console-orders"] a').first().click();
    await page.locator('[data-partition="1"]').waitFor();
    expect(await page.textContent('[data-config="retention.ms"]')).toContain('86400000');
    await page.locator('#set-config [name=name]').fill('retention.ms');
    await page.locator('#set-config [name=value]').fill('3600000');
    await page.locator('#set-config button').click();
    await page.getByText('retention.ms set to 3600000.').waitFor();
    expect(await page.textContent('[data-config="retention.ms"]')).toContain('3600000');
    await page.locator('#add-partitions [name=count]').fill('3');
    await page.locator('#add-partitions button').click();
    await page.getByText('console-orders has 3 partitions now.').waitFor();
    await page.locator('[data-partition="2"]').waitFor();
    await screenshot('topic');

    // Deleting asks for the name first.
    await open(1, '/topics/browse-api');
    const deleting = page.locator('#delete-topic');
    expect(await deleting.locator('button').isDisabled()).toBe(true);
    await deleting.locator('[name=confirm]').fill('browse-api');
    await deleting.locator('button').click();
    await page.waitForURL(/#\/topics$/);
    await page.locator('[data-topic="console-orders"]').waitFor();
    expect(await page.locator('[data-topic="browse-api"]').count()).toBe(0);
    expect((await cluster.get(2, `${cluster.topicsPath()}/browse-api`)).status).toBe(404);
  });

  it('produces a record from the form and shows it in the browser, user data as text', async (context) => {
    requireChromium(context);
    await open(2, '/messages?topic=console-orders&partition=0&from=oldest&order=oldest');
    const form = page.locator('#produce');
    await form.locator('[name=partition]').fill('0');
    await form.locator('[name=key]').fill('alice');
    await form.locator('[name=value]').fill('{"amount":42,"items":["a","b"]}');
    await form.locator('[name=headers]').fill('trace-id=abc-123');
    await form.locator('button').click();
    await page.getByText('Produced to console-orders partition 0 at offset 0.').waitFor();
    // A value that would run script if it were parsed as markup.
    await form.locator('[name=key]').fill('<b>bob</b>');
    await form.locator('[name=value]').fill('<img src=x onerror="window.__xss = 1">');
    await form.locator('[name=headers]').fill('');
    await form.locator('button').click();
    await page.getByText('Produced to console-orders partition 0 at offset 1.').waitFor();

    const first = page.locator('[data-offset="0"]');
    await first.waitFor();
    const cells = first.locator('pre.data');
    expect(await cells.nth(0).textContent()).toBe('alice');
    expect(await cells.nth(1).textContent()).toBe(JSON.stringify({ amount: 42, items: ['a', 'b'] }, null, 2));
    expect(await cells.nth(1).getAttribute('data-kind')).toBe('json');
    expect(await first.locator('pre.headers').textContent()).toBe('trace-id: abc-123');
    const second = page.locator('[data-offset="1"]');
    await second.waitFor();
    expect(await second.locator('pre.data').nth(1).textContent()).toBe(
      '<img src=x onerror="window.__xss = 1">',
    );
    expect(await page.locator('#records img').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { __xss?: number }).__xss)).toBeUndefined();

    // Newest first, from the end: offset 1 above offset 0.
    await page.locator('#browse [name=order]').selectOption('newest');
    await page.locator('#browse [name=from]').selectOption('newest');
    await page.locator('#browse button').click();
    await expect
      .poll(() => page.locator('#records [data-offset]').first().getAttribute('data-offset'))
      .toBe('1');
    // From a time after both: nothing, oldest first.
    await page.locator('#browse [name=from]').selectOption('timestamp');
    await page.locator('#browse [name=time]').fill('2099-01-01T00:00:00');
    await page.locator('#browse [name=order]').selectOption('oldest');
    await page.locator('#browse button').click();
    await page.getByText('No records here.').waitFor();
    await page.locator('#browse [name=from]').selectOption('oldest');
    await page.locator('#browse button').click();
    await page.locator('[data-offset="0"]').waitFor();
    await screenshot('messages');
  });

  it("shows a consumer group's lag, and resets its offsets once it is empty", async (context) => {
    requireChromium(context);
    const consumer = await createConsumer(cluster, 1, 'console-c1', {
      group: 'console-group',
      topic: 'console-orders',
    });
    let read = 0;
    await waitFor('the consumer read both records', async () => {
      read += (await poll(cluster, consumer)).length;
      return read >= 2;
    });
    await commitAll(cluster, consumer);
    // Two more records on partition 0: the group lags by 2 there.
    for (const value of ['x', 'y'])
      await produce(3, 'console-orders', { partition_id: 0, value: { type: 'STRING', data: value } });

    await open(3, '/groups');
    await page.locator('[data-group="console-group"]').waitFor();
    await screenshot('groups');
    await page.locator('[data-group="console-group"] a').click();
    const lagRow = page.locator('[data-lag="console-orders-0"]');
    await lagRow.waitFor();
    expect(await lagRow.locator('td').nth(2).textContent()).toBe('2');
    expect(await lagRow.locator('td').nth(3).textContent()).toBe('4');
    expect(await lagRow.locator('td').nth(4).textContent()).toBe('2');
    expect(await page.textContent('#group-state')).toContain('STABLE');
    expect(await page.locator('#reset-offsets button').isDisabled()).toBe(true);
    await screenshot('group');

    const left = await v2(cluster, 1, 'DELETE', consumer.path);
    expect(left.status, JSON.stringify(left.body)).toBe(204);
    await page.reload();
    await expect.poll(() => page.textContent('#group-state'), { timeout: 15_000 }).toContain('EMPTY');
    await page.locator('#reset-offsets [name=to]').selectOption('latest');
    await page.locator('#reset-offsets button').click();
    await page.getByText(/Reset \d partition\(s\) of console-group to latest\./).waitFor();
    expect(await page.locator('[data-lag="console-orders-0"] td').nth(4).textContent()).toBe('0');
    const lags = await cluster.get(
      2,
      `/v3/clusters/${cluster.clusterId}/consumer-groups/console-group/lag-summary`,
    );
    expect(lags.body.total_lag).toBe(0);
    await screenshot('group-reset');
  });

  it('shows a final dead letter with its origin and sends it back to its topic', async (context) => {
    requireChromium(context);
    const created = await cluster.http(1, 'POST', cluster.topicsPath(), {
      topic_name: 'console-dlq',
      partitions_count: 1,
      replication_factor: 3,
      configs: [
        { name: 'dead.letter.enable', value: 'true' },
        { name: 'max.delivery.attempts', value: '1' },
      ],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    await produce(2, 'console-dlq', {
      key: { type: 'STRING', data: 'order-9' },
      value: { type: 'STRING', data: 'not an order' },
      headers: [{ name: 'trace-id', value: b64('t-9') }],
    });
    const consumer = await createConsumer(cluster, 1, 'console-dlq-c1', {
      group: 'console-dlq-group',
      topic: 'console-dlq',
    });
    await waitFor('the consumer read the record', async () => (await poll(cluster, consumer)).length > 0);
    const rejected = await v2(cluster, 1, 'POST', `${consumer.path}/rejections`, {
      records: [{ topic: 'console-dlq', partition: 0, offset: 0, reason: 'cannot parse' }],
    });
    expect(rejected.status, JSON.stringify(rejected.body)).toBe(204);
    expect((await v2(cluster, 1, 'DELETE', consumer.path)).status).toBe(204);

    await open(3, '/messages?topic=console-dlq.dlq&partition=0&from=oldest&order=oldest');
    const letter = page.locator('[data-offset="0"] .dead-letter');
    await letter.waitFor();
    expect(await letter.textContent()).toContain('from console-dlq-0@0');
    expect(await letter.textContent()).toContain('attempts 1: cannot parse');
    await screenshot('dead-letter');
    await letter.locator('button.send-back').click();
    await page.getByText('Sent back: console-dlq-0@1').waitFor();
    // Back in its topic as it was: key, value and its own headers, none of the dlq.* ones.
    const back = await cluster.get(2, `${cluster.topicsPath()}/console-dlq/partitions/0/records?offset=1`);
    expect(back.body.data).toHaveLength(1);
    expect(back.body.data[0]).toMatchObject({
      offset: 1,
      key: { data: b64('order-9') },
      value: { data: b64('not an order') },
      headers: [{ name: 'trace-id', value: b64('t-9') }],
    });
  });

  it('draws live charts of the traffic', async (context) => {
    requireChromium(context);
    await open(1, '/charts');
    const records = page.locator('[data-chart="records"]');
    await records.locator('canvas').waitFor();
    // Traffic while the sampler runs: records produced and read back.
    const produced = (async () => {
      for (let i = 0; i < 6; i++) {
        await produce(2, 'console-orders', { value: { type: 'STRING', data: `chart-${i}` } });
        await cluster.get(2, `${cluster.topicsPath()}/console-orders/partitions/0/records?offset=0`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    })();
    await expect
      .poll(async () => Number(await records.getAttribute('data-points')), { timeout: 20_000 })
      .toBeGreaterThanOrEqual(2);
    await produced;
    // Something was drawn on the canvas: pixels that are not blank.
    const painted = await records.locator('canvas').evaluate((element) => {
      // In the page: a canvas (this project's types have no DOM).
      const canvas = element as unknown as CanvasLike;
      const context2d = canvas.getContext('2d');
      if (context2d === null) return 0;
      const { data } = context2d.getImageData(0, 0, canvas.width, canvas.height);
      let count = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) count++;
      return count;
    });
    expect(painted).toBeGreaterThan(100);
    await screenshot('charts');
    expect(pageErrors).toEqual([]);
  });
});
