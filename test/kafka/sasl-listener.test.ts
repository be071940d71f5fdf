// SASL on a real TCP listener: the refusal reaches the client before the close, a frame larger than
// sasl.server.max.receive.size before authentication closes the connection (and is fine after), and a
// connection that does not authenticate in time is closed. Over TLS: the principal of a verified client
// certificate on SSL, of SASL on SASL_SSL.
import { connect, type Socket } from 'node:net';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { PasswordCheck } from '../../src/common/password-check.ts';
import { parsePrincipalMappingRules } from '../../src/common/principal-mapping.ts';
import { credentialFromPassword } from '../../src/common/scram.ts';
import {
  type Authorizer,
  principalText,
  type ScramCredential,
  type ScramMechanism,
} from '../../src/common/security.ts';
import { kafkaApis } from '../../src/kafka/handlers/index.ts';
import {
  metadataApi,
  saslAuthenticateApi,
  saslHandshakeApi,
} from '../../src/kafka/protocol/generated/apis.ts';
import { defaultMetadataRequest } from '../../src/kafka/protocol/generated/metadata-request.ts';
import { FrameReader } from '../../src/kafka/server/frame-reader.ts';
import { KafkaServer } from '../../src/kafka/server/kafka-server.ts';
import { createCa, issueCertificate } from '../../src/node/local-ca.ts';
import { decodeResponseFrame, requestFrame, silent } from './exchange.ts';
import { fakeBroker } from './fake-broker.ts';

const users = new Map<string, ReadonlyMap<ScramMechanism, ScramCredential>>([
  ['alice', new Map([['SCRAM-SHA-256', credentialFromPassword('SCRAM-SHA-256', 'pw')]])],
]);
const credentials = (user: string) => users.get(user);

let server: KafkaServer | null = null;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  sockets.length = 0;
  await server?.close();
  server = null;
});

async function start(authenticationTimeoutMs = 10_000): Promise<KafkaServer> {
  server = await KafkaServer.start({
    host: '127.0.0.1',
    port: 0,
    apis: kafkaApis(fakeBroker()),
    frameBytesMax: 1 << 20,
    sasl: {
      settings: {
        mechanisms: ['PLAIN'],
        credentials,
        passwords: new PasswordCheck({ credentials, now: () => performance.now() }),
        reauthMs: 0,
        now: () => performance.now(),
      },
      receiveBytesMax: 1024,
      authenticationTimeoutMs,
    },
    logger: silent,
  });
  return server;
}

function framed(body: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

async function client(port: number) {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  const frames: Buffer[] = [];
  const reader = new FrameReader(1 << 24);
  socket.on('data', (chunk: Buffer) => {
    for (const body of reader.push(chunk)) frames.push(framed(body));
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const next = async (count: number) => {
    const deadline = Date.now() + 5000;
    while (frames.length < count) {
      if (Date.now() > deadline) throw new Error(`no answer ${count}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return frames[count - 1]!;
  };
  return { socket, frames, closed, next };
}

/** A Metadata v12 request padded past 1 KiB with a long client id. */
function largeMetadata(correlationId: number): Buffer {
  return framed(
    requestFrame(
      metadataApi,
      12,
      { ...defaultMetadataRequest(), topics: [] },
      correlationId,
      'x'.repeat(2000),
    ),
  );
}

describe('SASL listener (TCP)', () => {
  it('a failed authentication is answered, then the connection closes', async () => {
    const listener = await start();
    const { socket, closed, next } = await client(listener.port);
    socket.write(framed(requestFrame(saslHandshakeApi, 1, { mechanism: 'PLAIN' }, 1)));
    await next(1);
    socket.write(
      framed(requestFrame(saslAuthenticateApi, 2, { authBytes: Buffer.from('\0alice\0wrong') }, 2)),
    );
    const answer = decodeResponseFrame(saslAuthenticateApi, 2, await next(2)).response;
    expect(answer.errorCode).toBe(58);
    expect(answer.errorMessage).toBe(
      'Authentication failed during authentication due to invalid credentials with SASL mechanism PLAIN',
    );
    await closed;
  });

  it('a frame above sasl.server.max.receive.size closes an unauthenticated connection; after authentication it is served', async () => {
    const listener = await start();
    const early = await client(listener.port);
    early.socket.write(largeMetadata(1));
    await early.closed;
    expect(early.frames).toHaveLength(0);

    const { socket, next } = await client(listener.port);
    socket.write(framed(requestFrame(saslHandshakeApi, 1, { mechanism: 'PLAIN' }, 1)));
    await next(1);
    socket.write(framed(requestFrame(saslAuthenticateApi, 2, { authBytes: Buffer.from('\0alice\0pw') }, 2)));
    expect(decodeResponseFrame(saslAuthenticateApi, 2, await next(2)).response.errorCode).toBe(0);
    socket.write(largeMetadata(3));
    expect(decodeResponseFrame(metadataApi, 12, await next(3)).correlationId).toBe(3);
  });

  it('a connection that does not authenticate in time is closed; one that did stays open', async () => {
    const listener = await start(200);
    const idle = await client(listener.port);
    const authenticated = await client(listener.port);
    authenticated.socket.write(framed(requestFrame(saslHandshakeApi, 1, { mechanism: 'PLAIN' }, 1)));
    authenticated.socket.write(
      framed(requestFrame(saslAuthenticateApi, 2, { authBytes: Buffer.from('\0alice\0pw') }, 2)),
    );
    await authenticated.next(2);
    await idle.closed;
    await new Promise((resolve) => setTimeout(resolve, 300));
    authenticated.socket.write(
      framed(requestFrame(metadataApi, 12, { ...defaultMetadataRequest(), topics: [] }, 3)),
    );
    expect(decodeResponseFrame(metadataApi, 12, await authenticated.next(3)).correlationId).toBe(3);
  });
});

describe('Kafka listener over TLS: the principal of a client certificate, or of SASL on SASL_SSL', () => {
  const ca = createCa('kafka listener test CA');
  const serverCert = issueCertificate(ca, {
    commonName: 'node',
    ipAddresses: ['127.0.0.1'],
    serverAuth: true,
    clientAuth: true,
  });
  const alice = issueCertificate(ca, { commonName: 'alice', serverAuth: false, clientAuth: true });

  /** A listener whose authorizer records who asked (Metadata asks DESCRIBE on the cluster's topics). */
  async function startTls(sasl: boolean): Promise<{ listener: KafkaServer; principals: string[] }> {
    const principals: string[] = [];
    const authorizer: Authorizer = {
      enabled: true,
      authorize: (session) => {
        principals.push(`${principalText(session.principal)} ${session.method}`);
        return true;
      },
    };
    const broker = fakeBroker({ authorizer });
    await broker.node.createTopic({
      name: 'orders',
      partitionsCount: 1,
      replicationFactor: 1,
      configs: new Map(),
      validateOnly: false,
    });
    server = await KafkaServer.start({
      host: '127.0.0.1',
      port: 0,
      apis: kafkaApis(broker),
      frameBytesMax: 1 << 20,
      tls: {
        key: serverCert.keyPem,
        cert: serverCert.certPem,
        ca: ca.certPem,
        requestCert: true,
        rejectUnauthorized: false,
      },
      principalMappingRules: parsePrincipalMappingRules('RULE:^CN=([^,]*)$/$1/,DEFAULT'),
      ...(sasl
        ? {
            sasl: {
              settings: {
                mechanisms: ['PLAIN'],
                credentials,
                passwords: new PasswordCheck({ credentials, now: () => performance.now() }),
                reauthMs: 0,
                now: () => performance.now(),
              },
              receiveBytesMax: 1024,
            },
          }
        : {}),
      logger: silent,
    });
    return { listener: server, principals };
  }

  async function tlsClient(port: number, withCert: boolean) {
    const socket = tls.connect({
      host: '127.0.0.1',
      port,
      ca: ca.certPem,
      ...(withCert ? { cert: alice.certPem, key: alice.keyPem } : {}),
    });
    sockets.push(socket);
    await new Promise<void>((resolve) => socket.once('secureConnect', () => resolve()));
    const frames: Buffer[] = [];
    const reader = new FrameReader(1 << 24);
    socket.on('data', (chunk: Buffer) => {
      for (const body of reader.push(chunk)) frames.push(framed(body));
    });
    const next = async (count: number) => {
      const deadline = Date.now() + 5000;
      while (frames.length < count) {
        if (Date.now() > deadline) throw new Error(`no answer ${count}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return frames[count - 1]!;
    };
    return { socket, next };
  }

  const metadata = (correlationId: number) =>
    framed(requestFrame(metadataApi, 12, { ...defaultMetadataRequest(), topics: null }, correlationId));

  it('SSL: a verified certificate is User:<mapped DN>; without one, ANONYMOUS', async () => {
    const { listener, principals } = await startTls(false);
    const withCert = await tlsClient(listener.port, true);
    withCert.socket.write(metadata(1));
    await withCert.next(1);
    const without = await tlsClient(listener.port, false);
    without.socket.write(metadata(2));
    await without.next(1);
    expect(principals[0]).toBe('User:alice ssl');
    expect(principals.at(-1)).toBe('User:ANONYMOUS none');
  });

  it('SASL_SSL: the SASL user is the principal, certificate or not', async () => {
    const { listener, principals } = await startTls(true);
    const { socket, next } = await tlsClient(listener.port, true);
    socket.write(framed(requestFrame(saslHandshakeApi, 1, { mechanism: 'PLAIN' }, 1)));
    await next(1);
    socket.write(framed(requestFrame(saslAuthenticateApi, 2, { authBytes: Buffer.from('\0alice\0pw') }, 2)));
    expect(decodeResponseFrame(saslAuthenticateApi, 2, await next(2)).response.errorCode).toBe(0);
    socket.write(metadata(3));
    await next(3);
    expect(new Set(principals)).toEqual(new Set(['User:alice sasl-plain']));
  });
});
