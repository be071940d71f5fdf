import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ConsumerConfig } from '../../src/http/consumers/instance.ts';
import { ConsumerRegistry } from '../../src/http/consumers/registry.ts';
import { FakeNode } from './fake-node.ts';

const CONFIG: ConsumerConfig = {
  format: 'binary',
  autoOffsetReset: 'earliest',
  autoCommit: true,
  fetchMinBytes: -1,
  requestTimeoutMs: 1000,
};

/** vi.waitFor's own deadline is 1 s of real time: too short on a loaded machine (CI with 2 cores). */
const WAIT = { timeout: 15_000, interval: 10 };

afterEach(() => {
  vi.useRealTimers();
});

describe('ConsumerRegistry', () => {
  it('its timer expires idle instances (they leave their group), heartbeats members, and stops on close', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    const node = new FakeNode();
    await node.createTopic({
      name: 't',
      partitionsCount: 1,
      replicationFactor: 1,
      configs: new Map(),
      validateOnly: false,
    });
    const registry = new ConsumerRegistry({
      node,
      now: Date.now,
      instanceTimeoutMs: 10_000,
      logger: pino({ level: 'silent' }),
    });
    const idle = registry.create('g', 'idle', CONFIG, '/127.0.0.1', 'User:ANONYMOUS');
    await idle.exclusive(() => idle.subscribe({ kind: 'topics', topics: ['t'] }));
    expect(vi.getTimerCount()).toBe(1);
    const heartbeats = () => node.groups.calls.filter((call) => call.method === 'heartbeat').length;
    vi.advanceTimersByTime(3000);
    await vi.waitFor(() => expect(heartbeats()).toBe(1), WAIT);
    vi.advanceTimersByTime(8000);
    await vi.waitFor(() => expect(node.groups.memberIds('g')).toEqual([]), WAIT);
    expect(registry.size).toBe(0);
    expect(() => registry.get('g', 'idle')).toThrow('Consumer instance not found.');
    const kept = registry.create('g', 'kept', CONFIG, '/127.0.0.1', 'User:ANONYMOUS');
    await kept.exclusive(() => kept.subscribe({ kind: 'topics', topics: ['t'] }));
    registry.close();
    expect(vi.getTimerCount()).toBe(0);
    await vi.waitFor(() => expect(node.groups.memberIds('g')).toEqual([]), WAIT);
  });

  it("gives an instance only to the principal that created it (another's request is 40403, as for none)", async () => {
    const registry = new ConsumerRegistry({
      node: new FakeNode(),
      now: Date.now,
      instanceTimeoutMs: 10_000,
      logger: pino({ level: 'silent' }),
    });
    const created = registry.create('g', 'mine', CONFIG, '/127.0.0.1', 'User:alice');
    expect(registry.get('g', 'mine', 'User:alice')).toBe(created);
    expect(() => registry.get('g', 'mine', 'User:bob')).toThrow('Consumer instance not found.');
    await expect(registry.delete('g', 'mine', 'User:bob')).rejects.toThrow('Consumer instance not found.');
    expect(registry.holds('g', 'mine')).toBe(true);
    await registry.delete('g', 'mine', 'User:alice');
    expect(registry.holds('g', 'mine')).toBe(false);
    registry.close();
  });
});
