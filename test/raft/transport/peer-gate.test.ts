// The internal listener with a PeerGate in front (TLS with client certificates and/or the peer preface)
// and peers dialing through a PeerDialer: Raft messages flow between nodes of the cluster; a dialer
// without the secret, of another cluster, or without a certificate gets nothing through.
import { randomBytes } from 'node:crypto';
import tls from 'node:tls';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../../chaos/free-port.ts';
import { Http2Transport } from '../../../raft/transport/http2-transport.ts';
import { type PeerDialer, peerDialer } from '../../../raft/transport/peer-dialer.ts';
import { PeerGate } from '../../../raft/transport/peer-gate.ts';
import { encodePreface, PrefaceVerifier } from '../../../raft/transport/peer-preface.ts';
import type { Message, NodeId } from '../../../raft/types.ts';
import { logIndex, nodeId, term } from '../../../raft/types.ts';
import { createCa, issueCertificate } from '../../../src/node/local-ca.ts';

const HOST = '127.0.0.1';
const SECRET = Buffer.from('the secret of cluster A, long enough');
const open: Http2Transport[] = [];
const silent = pino({ level: 'silent' });

afterEach(async () => {
  await Promise.all(open.splice(0).map((transport) => transport.close()));
});

const ca = createCa('gate test CA');
const leaf = issueCertificate(ca, {
  commonName: 'n',
  ipAddresses: [HOST],
  serverAuth: true,
  clientAuth: true,
});
const serverTls = { key: leaf.keyPem, cert: leaf.certPem, ca: ca.certPem };

function dialer(id: number, clusterId: string, secret: Uint8Array | null, withTls: boolean): PeerDialer {
  return peerDialer({
    tls: withTls ? { key: leaf.keyPem, cert: leaf.certPem, ca: ca.certPem } : null,
    preface: () =>
      encodePreface(
        { clusterId, nodeId: id, unixMs: Date.now(), nonce: randomBytes(16).toString('hex') },
        secret,
      ),
  });
}

async function node(
  id: number,
  port: number,
  peers: ReadonlyMap<NodeId, string>,
  options: { withTls: boolean; dialer: PeerDialer },
): Promise<{ transport: Http2Transport; inbox: Message[]; gate: PeerGate }> {
  const gate = new PeerGate(
    {
      tls: options.withTls ? serverTls : null,
      verifier: new PrefaceVerifier({ clusterId: 'A', secret: SECRET }),
      handshakeTimeoutMs: 1000,
    },
    silent,
  );
  const transport = await Http2Transport.start({
    id: nodeId(id),
    listen: { host: HOST, port },
    peers,
    gate,
    dialer: options.dialer,
    backoffMinMs: 10,
    backoffMaxMs: 50,
    requestTimeoutMs: 1000,
  });
  open.push(transport);
  const inbox: Message[] = [];
  transport.onMessage((message) => inbox.push(message));
  return { transport, inbox, gate };
}

async function waitFor(condition: () => boolean, what: string, deadlineMs = 5000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function heartbeat(from: number, to: number): Message {
  return {
    type: 'heartbeat',
    from: nodeId(from),
    to: nodeId(to),
    term: term(1),
    commit: logIndex(0),
    readRound: 0,
  };
}

describe.each([
  ['mutual TLS and the secret', true],
  ['the secret over plain TCP', false],
])('internal listeners gated by %s', (_name, withTls) => {
  it('carries messages between nodes of the cluster, and nothing from others', async () => {
    const [port1, port2, port3] = [await freePort(), await freePort(), await freePort()];
    const peers = new Map([
      [nodeId(1), `${HOST}:${port1}`],
      [nodeId(2), `${HOST}:${port2}`],
    ]);
    const one = await node(1, port1, peers, { withTls, dialer: dialer(1, 'A', SECRET, withTls) });
    const two = await node(2, port2, peers, { withTls, dialer: dialer(2, 'A', SECRET, withTls) });
    one.transport.send([heartbeat(1, 2)]);
    two.transport.send([heartbeat(2, 1)]);
    await waitFor(() => one.inbox.length > 0 && two.inbox.length > 0, 'messages both ways');

    // Nodes that do not prove the secret, or belong to another cluster, get nothing delivered.
    const strangers = new Map([
      [nodeId(1), `${HOST}:${port1}`],
      [nodeId(3), `${HOST}:${port3}`],
    ]);
    const wrongSecret = await node(3, port3, strangers, {
      withTls,
      dialer: dialer(3, 'A', Buffer.from('not the secret of the cluster'), withTls),
    });
    const received = one.inbox.length;
    const refusedBefore = one.gate.refused;
    wrongSecret.transport.send([heartbeat(3, 1)]);
    await waitFor(() => one.gate.refused > refusedBefore, 'the wrong secret refused');
    await wrongSecret.transport.close();
    const otherCluster = dialer(4, 'B', SECRET, withTls).client(`${HOST}:${port1}`, {
      connectTimeoutMs: 1000,
      headersTimeoutMs: 1000,
    });
    await expect(otherCluster.request({ method: 'GET', path: '/raft/v1/health' })).rejects.toThrow();
    await otherCluster.destroy();
    expect(one.inbox.length).toBe(received);

    if (withTls) {
      // TLS without a client certificate: the handshake fails, nothing is answered.
      const anonymous = tls.connect({ host: HOST, port: port1, ca: ca.certPem, ALPNProtocols: ['h2'] });
      const answered = await new Promise<boolean>((resolve) => {
        let data = false;
        anonymous.on('data', () => {
          data = true;
        });
        anonymous.on('error', () => undefined);
        anonymous.once('close', () => resolve(data));
      });
      expect(answered).toBe(false);
    } else {
      // No preface in time: closed.
      const { connect } = await import('node:net');
      const idle = connect(port1, HOST);
      await new Promise<void>((resolve) => idle.once('close', () => resolve()));
    }
  }, 20_000);
});
