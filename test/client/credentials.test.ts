// The SDK's SASL credentials: sent as HTTP Basic on every request (REST JSON and the native API's
// protobuf POSTs) of its broker connections, which an authenticating client listener needs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PasswordCheck } from '../../src/common/password-check.ts';
import { credentialFromPassword } from '../../src/common/scram.ts';
import type { ScramCredential, ScramMechanism } from '../../src/common/security.ts';
import { BrokerConnections } from '../../src/client/connections.ts';
import { basicAuthorization } from '../../src/client/credentials.ts';
import { RestError } from '../../src/client/rest-errors.ts';
import { buildClientApp } from '../../src/http/client-app.ts';
import { type ClientApiListener, listenClientApi } from '../../src/http/client-server.ts';
import { FakeNode } from '../http/fake-node.ts';

const users = new Map<string, ReadonlyMap<ScramMechanism, ScramCredential>>([
  ['alice', new Map([['SCRAM-SHA-512', credentialFromPassword('SCRAM-SHA-512', 'pw')]])],
]);
let listener: ClientApiListener;
let origin: string;

beforeAll(async () => {
  const credentials = (user: string) => users.get(user);
  const app = buildClientApp({
    node: new FakeNode(),
    authentication: {
      securityProtocol: 'SASL_PLAINTEXT',
      passwords: new PasswordCheck({ credentials, now: () => performance.now() }),
      principalMappingRules: [{ kind: 'default' }],
    },
  });
  listener = await listenClientApi(app, { host: '127.0.0.1', port: 0 });
  origin = `http://${listener.address}`;
});

afterAll(async () => {
  await listener.close();
});

describe('SDK credentials', () => {
  it('basicAuthorization is RFC 7617; a user name with ":" cannot be sent', () => {
    expect(basicAuthorization({ mechanism: 'PLAIN', username: 'alice', password: 'p:w' })).toBe(
      `Basic ${Buffer.from('alice:p:w').toString('base64')}`,
    );
    expect(() => basicAuthorization({ mechanism: 'PLAIN', username: 'a:b', password: 'x' })).toThrow(
      /HTTP Basic/,
    );
  });

  it('with credentials, JSON and protobuf requests are authenticated; without, refused 401 / 40101', async () => {
    const authenticated = new BrokerConnections({
      credentials: { mechanism: 'SCRAM-SHA-512', username: 'alice', password: 'pw' },
    });
    const anonymous = new BrokerConnections();
    const wrong = new BrokerConnections({
      credentials: { mechanism: 'SCRAM-SHA-512', username: 'alice', password: 'nope' },
    });
    try {
      expect(await authenticated.json(origin, 'GET', '/v3/clusters', 5000)).toMatchObject({
        kind: 'KafkaClusterList',
      });
      for (const refused of [anonymous, wrong]) {
        const error = await refused
          .json(origin, 'GET', '/v3/clusters', 5000)
          .catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(RestError);
        expect(error).toMatchObject({ status: 401, errorCode: 40101 });
      }
      // The native API (protobuf): an empty metadata request asks for every topic.
      expect(await authenticated.post(origin, '/v1/metadata', Buffer.alloc(0), 5000, false)).toBeInstanceOf(
        Buffer,
      );
      await expect(anonymous.post(origin, '/v1/metadata', Buffer.alloc(0), 5000, false)).rejects.toThrow(
        /answered 401/,
      );
    } finally {
      await Promise.all([authenticated.close(), anonymous.close(), wrong.close()]);
    }
  });
});
