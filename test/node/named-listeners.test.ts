// Named internal listeners hand their connections to the internal HTTP/2 server, each counting its own
// against max.connections.per.ip: one over is closed at accept (and counted under the listener's name),
// while the INTERNAL listener's own limiter does not count them a second time.
import { connect } from 'node:net';
import { pino } from 'pino';
import { Client } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { Http2Transport, type InternalServer } from '../../raft/transport/http2-transport.ts';
import { nodeId } from '../../raft/types.ts';
import {
  ConnectionLimiter,
  ConnectionRefusalCounts,
  NO_CONNECTION_LIMITS,
} from '../../src/common/connection-limits.ts';
import { NamedListeners } from '../../src/node/named-listeners.ts';

const silent = pino({ level: 'silent' });
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('NamedListeners', () => {
  it('closes a connection over max.connections.per.ip at accept; INTERNAL does not count it again', async () => {
    const refusals = new ConnectionRefusalCounts();
    const internalLimiter = new ConnectionLimiter('INTERNAL', {
      ...NO_CONNECTION_LIMITS,
      maxConnectionsPerIp: 1,
    });
    let internal: InternalServer | null = null;
    const transport = await Http2Transport.start({
      id: nodeId(1),
      listen: { host: '127.0.0.1', port: 0 },
      peers: new Map(),
      admitConnection: (socket) => {
        const admission = internalLimiter.admit(socket.remoteAddress ?? '');
        if (admission.admitted) socket.once('close', admission.release);
        return admission.admitted;
      },
      routes: (server) => {
        internal = server;
      },
    });
    cleanups.push(() => transport.close());
    const named = await NamedListeners.start(
      new Map([['REPLICATION', { host: '127.0.0.1', port: 0 }]]),
      internal!,
      {
        connectionLimits: { ...NO_CONNECTION_LIMITS, maxConnectionsPerIp: 2 },
        onRefused: refusals.observe,
        logger: silent,
      },
    );
    cleanups.push(() => named.close());
    const port = named.port('REPLICATION');
    // Two clients on the named listener are served, though INTERNAL's own limit is 1.
    for (let i = 0; i < 2; i++) {
      const client = new Client(`http://127.0.0.1:${port}`, { allowH2: true, h2Options: { useH2c: true } });
      cleanups.push(() => client.destroy());
      const answer = await client.request({ path: '/raft/v1/health', method: 'GET' });
      expect(answer.statusCode).toBe(200);
      await answer.body.dump();
    }
    expect(internalLimiter.open).toBe(0);
    const closed = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => {});
      socket.once('data', () => resolve(false));
      socket.once('close', () => resolve(true));
    });
    expect(closed).toBe(true);
    expect([...refusals.entries()]).toEqual([['REPLICATION', 'max_connections_per_ip', 1]]);
  });
});
