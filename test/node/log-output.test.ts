// What the node's logs say about errors (log-errors.ts), what the launcher's pretty form makes of a line
// (pretty-log.ts), and the launcher's check of the listener ports (listener-ports.ts).
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { KafkaError } from '../../src/common/kafka-errors.ts';
import { buildNodeConfig, localClusterProperties } from '../../src/node/config.ts';
import { describeTakenPort, takenListenerPorts } from '../../src/node/listener-ports.ts';
import { serializeError } from '../../src/node/log-errors.ts';
import { prettyLogLine } from '../../src/node/pretty-log.ts';

function refused(): Error {
  return Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:19092'), { code: 'ECONNREFUSED' });
}

describe('serializeError', () => {
  it('keeps the stack of an unexpected error and drops those of expected conditions', () => {
    expect(serializeError(new TypeError('x is undefined'))).toHaveProperty('stack');
    const timedOut = new KafkaError('REQUEST_TIMED_OUT', 'No active controller answered', {
      cause: refused(),
    });
    const serialized = serializeError(timedOut) as Record<string, unknown>;
    expect(serialized).not.toHaveProperty('stack');
    expect(serialized).toMatchObject({
      type: 'KafkaError',
      message: 'No active controller answered',
      errorName: 'REQUEST_TIMED_OUT',
      cause: { message: 'connect ECONNREFUSED 127.0.0.1:19092', code: 'ECONNREFUSED' },
    });
    expect(serialized.cause).not.toHaveProperty('stack');
  });

  it('judges a cause on its own: a bug behind an expected error keeps its stack', () => {
    const wrapped = new KafkaError('UNKNOWN_SERVER_ERROR', 'failed', { cause: new RangeError('bad index') });
    const serialized = serializeError(wrapped) as { stack?: string; cause: { stack?: string } };
    expect(serialized.stack).toBeUndefined();
    expect(serialized.cause.stack).toContain('RangeError: bad index');
  });

  it('passes what is not an Error unchanged', () => {
    expect(serializeError('text')).toBe('text');
  });
});

describe('prettyLogLine', () => {
  const pretty = prettyLogLine(false);
  const at = Date.UTC(2026, 11, 6, 20, 14, 30, 128);

  it('puts time, level, message and fields on one line, and an expected error as NAME: message', () => {
    const line = JSON.stringify({
      level: 40,
      time: at,
      node: 3,
      peer: 2,
      err: serializeError(new KafkaError('REQUEST_TIMED_OUT', 'gave up', { cause: refused() })),
      msg: 'heartbeat failed',
    });
    const text = pretty(line).trimEnd();
    expect(text.split('\n')).toHaveLength(1);
    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: heartbeat failed /);
    expect(text).toContain('"peer":2');
    expect(text).toContain(
      '"error":"REQUEST_TIMED_OUT: gave up (cause: ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:19092)"',
    );
    expect(text).not.toContain('"node"');
  });

  it('keeps the stack of an unexpected error, and lines that are not JSON as they are', () => {
    const line = JSON.stringify({
      level: 50,
      time: at,
      err: serializeError(new TypeError('boom')),
      msg: 'bug',
    });
    expect(pretty(line)).toContain('TypeError: boom');
    expect(pretty(line).split('\n').length).toBeGreaterThan(2);
    expect(pretty('not json')).toBe('not json');
    expect(pretty('{not json')).toBe('{not json');
  });
});

describe('takenListenerPorts', () => {
  let holder: Server | null = null;
  afterEach(async () => {
    await new Promise<void>((resolve) => (holder === null ? resolve() : holder.close(() => resolve())));
    holder = null;
  });

  it('names the port another process holds, and which node and listener wanted it', async () => {
    holder = createServer();
    await new Promise<void>((resolve) => holder!.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as { port: number }).port;
    const properties = localClusterProperties(2, '/tmp/unused', 3);
    properties.set('listeners', `CLIENT://127.0.0.1:${port},INTERNAL://127.0.0.1:0`);
    const { config } = buildNodeConfig(properties);
    const taken = await takenListenerPorts([config]);
    expect(taken).toEqual([{ nodeId: 2, listener: 'client API', endpoint: { host: '127.0.0.1', port } }]);
    expect(describeTakenPort(taken[0]!)).toBe(
      `port ${port} (node 2's client API listener, 127.0.0.1:${port}) is already in use: another cluster ` +
        `or program listens there (\`lsof -iTCP:${port} -sTCP:LISTEN\` shows which)`,
    );
    await new Promise<void>((resolve) => holder!.close(() => resolve()));
    holder = null;
    expect(await takenListenerPorts([config])).toEqual([]);
  });
});
