// The SASL state machine of a connection through the dispatcher, as a client drives it: what may be
// sent before authentication, Kafka's answers to a wrong order or an unknown mechanism, PLAIN and SCRAM
// sessions, KIP-368 expiry and re-authentication, and SASL on a listener without it.
import { describe, expect, it } from 'vitest';
import { PasswordCheck } from '../../src/common/password-check.ts';
import { credentialFromPassword } from '../../src/common/scram.ts';
import { anonymousSession, type ScramCredential, type ScramMechanism } from '../../src/common/security.ts';
import { kafkaApis } from '../../src/kafka/handlers/index.ts';
import type { ApiCodec } from '../../src/kafka/protocol/codec-support.ts';
import { defaultApiVersionsRequest } from '../../src/kafka/protocol/generated/api-versions-request.ts';
import {
  apiVersionsApi,
  metadataApi,
  saslAuthenticateApi,
  saslHandshakeApi,
} from '../../src/kafka/protocol/generated/apis.ts';
import { defaultMetadataRequest } from '../../src/kafka/protocol/generated/metadata-request.ts';
import type { SaslAuthenticateResponse } from '../../src/kafka/protocol/generated/sasl-authenticate-response.ts';
import { type DispatchOutcome, RequestDispatcher } from '../../src/kafka/server/request-dispatch.ts';
import { SaslAuthenticator, type SaslMechanism } from '../../src/kafka/server/sasl/sasl-authenticator.ts';
import { decodeResponseFrame, requestFrame, silent } from './exchange.ts';
import { fakeBroker } from './fake-broker.ts';
import { scramClientFinal } from './scram-client.ts';

const users = new Map<string, ReadonlyMap<ScramMechanism, ScramCredential>>([
  [
    'alice',
    new Map<ScramMechanism, ScramCredential>([
      ['SCRAM-SHA-256', credentialFromPassword('SCRAM-SHA-256', 'alice-pw')],
      ['SCRAM-SHA-512', credentialFromPassword('SCRAM-SHA-512', 'alice-pw')],
    ]),
  ],
  ['bob', new Map([['SCRAM-SHA-256', credentialFromPassword('SCRAM-SHA-256', 'bob-pw')]])],
]);

const dispatcher = new RequestDispatcher(kafkaApis(fakeBroker()));

function connection(options: { reauthMs?: number; mechanisms?: SaslMechanism[] } = {}) {
  let now = 0;
  const credentials = (user: string) => users.get(user);
  const sasl = new SaslAuthenticator(
    {
      mechanisms: options.mechanisms ?? ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'],
      credentials,
      passwords: new PasswordCheck({ credentials, now: () => now }),
      reauthMs: options.reauthMs ?? 0,
      now: () => now,
    },
    '127.0.0.1',
  );
  let correlationId = 0;
  const send = async <Request, Response>(
    codec: ApiCodec<Request, Response>,
    version: number,
    request: Request,
  ): Promise<{ response: Response; closes: boolean } | DispatchOutcome> => {
    const outcome = await dispatcher.dispatch(requestFrame(codec, version, request, ++correlationId), {
      address: 'test:1',
      session: sasl.session,
      logger: silent,
      sasl,
    });
    if (outcome.kind !== 'response' && outcome.kind !== 'response-then-close') return outcome;
    return {
      response: decodeResponseFrame(codec, version, outcome.frame).response,
      closes: outcome.kind === 'response-then-close',
    };
  };
  const authenticate = async (bytes: string | Buffer, version = 2) => {
    const result = await send(saslAuthenticateApi, version, {
      authBytes: typeof bytes === 'string' ? Buffer.from(bytes) : bytes,
    });
    if (!('response' in result)) throw new Error(`no answer: ${JSON.stringify(result)}`);
    return result as { response: SaslAuthenticateResponse; closes: boolean };
  };
  const metadata = () => send(metadataApi, 12, { ...defaultMetadataRequest(), topics: [] });
  return { sasl, send, authenticate, metadata, advance: (ms: number) => (now += ms) };
}

/** Runs SCRAM's two messages; the second answer. */
async function scram(
  client: ReturnType<typeof connection>,
  mechanism: ScramMechanism,
  user: string,
  password: string,
) {
  const bare = `n=${user},r=clientnonce123`;
  const first = await client.authenticate(`n,,${bare}`);
  expect(first.response.errorCode).toBe(0);
  return client.authenticate(
    scramClientFinal(mechanism, password, bare, Buffer.from(first.response.authBytes).toString()).message,
  );
}

describe('SASL on a connection', () => {
  it('before authentication only ApiVersions and the SASL APIs are served; anything else closes without an answer', async () => {
    const client = connection();
    const versions = await client.send(apiVersionsApi, 3, defaultApiVersionsRequest());
    expect('response' in versions && versions.response.errorCode).toBe(0);
    expect(await client.metadata()).toEqual({
      kind: 'close',
      reason: 'API key 3 before SASL authentication',
    });
  });

  it('PLAIN: the session becomes User:alice; Metadata is served after', async () => {
    const client = connection();
    const handshake = await client.send(saslHandshakeApi, 1, { mechanism: 'PLAIN' });
    expect(handshake).toMatchObject({
      response: { errorCode: 0, mechanisms: ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] },
      closes: false,
    });
    const answer = await client.authenticate('\0alice\0alice-pw', 1);
    expect(answer).toMatchObject({
      response: { errorCode: 0, errorMessage: null, sessionLifetimeMs: 0n },
      closes: false,
    });
    expect(client.sasl.session).toEqual({
      principal: { type: 'User', name: 'alice' },
      clientHost: '127.0.0.1',
      method: 'sasl-plain',
    });
    expect(await client.metadata()).toMatchObject({ closes: false });
    // Kafka's KafkaApis answers after authentication (no re-authentication configured):
    expect(await client.send(saslHandshakeApi, 1, { mechanism: 'PLAIN' })).toMatchObject({
      response: { errorCode: 34 },
      closes: false,
    });
    expect(await client.authenticate('\0alice\0alice-pw')).toMatchObject({
      response: { errorCode: 34 },
      closes: false,
    });
  });

  for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
    it(`${mechanism}: two messages, a server signature, the session`, async () => {
      const client = connection();
      await client.send(saslHandshakeApi, 1, { mechanism });
      const final = await scram(client, mechanism, 'alice', 'alice-pw');
      expect(final.response.errorCode).toBe(0);
      expect(Buffer.from(final.response.authBytes).toString()).toMatch(/^v=/);
      expect(client.sasl.session.principal.name).toBe('alice');
      expect(client.sasl.session.method).toBe(
        mechanism === 'SCRAM-SHA-256' ? 'sasl-scram-sha-256' : 'sasl-scram-sha-512',
      );
    });
  }

  it("wrong password, unknown user, a user without this mechanism's credential: the same refusal, then the close", async () => {
    const message =
      'Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512';
    for (const [user, password] of [
      ['alice', 'wrong'],
      ['nobody', 'alice-pw'],
      ['bob', 'bob-pw'],
    ] as const) {
      const client = connection();
      await client.send(saslHandshakeApi, 1, { mechanism: 'SCRAM-SHA-512' });
      const final = await scram(client, 'SCRAM-SHA-512', user, password);
      expect(final).toMatchObject({ response: { errorCode: 58, errorMessage: message }, closes: true });
      expect(client.sasl.session.principal.name).toBe('ANONYMOUS');
      expect(await client.metadata()).toMatchObject({ kind: 'close' });
    }
    const plain = connection();
    await plain.send(saslHandshakeApi, 1, { mechanism: 'PLAIN' });
    expect(await plain.authenticate('\0nobody\0x')).toMatchObject({
      response: {
        errorCode: 58,
        errorMessage:
          'Authentication failed during authentication due to invalid credentials with SASL mechanism PLAIN',
      },
      closes: true,
    });
  });

  it('garbage tokens fail the exchange and close', async () => {
    for (const mechanism of ['PLAIN', 'SCRAM-SHA-256'] as const) {
      const client = connection();
      await client.send(saslHandshakeApi, 1, { mechanism });
      const answer = await client.authenticate(Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x02]));
      expect(answer).toMatchObject({ response: { errorCode: 58 }, closes: true });
    }
  });

  it('an unknown or disabled mechanism: UNSUPPORTED_SASL_MECHANISM listing the enabled ones, then the close', async () => {
    for (const mechanism of ['GSSAPI', 'PLAIN']) {
      const client = connection({ mechanisms: ['SCRAM-SHA-512'] });
      expect(await client.send(saslHandshakeApi, 1, { mechanism })).toMatchObject({
        response: { errorCode: 33, mechanisms: ['SCRAM-SHA-512'] },
        closes: true,
      });
    }
  });

  it('out of order: SaslAuthenticate before SaslHandshake, or a second SaslHandshake, is ILLEGAL_SASL_STATE and closes', async () => {
    const early = connection();
    expect(await early.authenticate('\0alice\0alice-pw')).toMatchObject({
      response: { errorCode: 34 },
      closes: true,
    });
    const twice = connection();
    await twice.send(saslHandshakeApi, 1, { mechanism: 'PLAIN' });
    expect(await twice.send(saslHandshakeApi, 1, { mechanism: 'PLAIN' })).toMatchObject({
      response: { errorCode: 34 },
      closes: true,
    });
  });

  it('KIP-368: the session expires after connections.max.reauth.ms; re-authentication renews it, as the same principal only', async () => {
    const client = connection({ reauthMs: 1000 });
    await client.send(saslHandshakeApi, 1, { mechanism: 'SCRAM-SHA-256' });
    const final = await scram(client, 'SCRAM-SHA-256', 'alice', 'alice-pw');
    expect(final.response.sessionLifetimeMs).toBe(1000n);
    client.advance(999);
    expect(await client.metadata()).toMatchObject({ closes: false });
    client.advance(1);
    // Re-authentication on the same connection (same mechanism): served past the expiry.
    expect(await client.send(saslHandshakeApi, 1, { mechanism: 'SCRAM-SHA-256' })).toMatchObject({
      response: { errorCode: 0 },
    });
    expect((await scram(client, 'SCRAM-SHA-256', 'alice', 'alice-pw')).response.errorCode).toBe(0);
    client.advance(500);
    expect(await client.metadata()).toMatchObject({ closes: false });
    client.advance(500);
    expect(await client.metadata()).toEqual({
      kind: 'close',
      reason: 'the SASL session expired (connections.max.reauth.ms) without re-authentication',
    });

    const switcher = connection({ reauthMs: 1000 });
    await switcher.send(saslHandshakeApi, 1, { mechanism: 'PLAIN' });
    await switcher.authenticate('\0alice\0alice-pw');
    await switcher.send(saslHandshakeApi, 1, { mechanism: 'PLAIN' });
    expect(await switcher.authenticate('\0bob\0bob-pw')).toMatchObject({
      response: { errorCode: 58, errorMessage: 'Cannot change principals during re-authentication' },
      closes: true,
    });
    const otherMechanism = connection({ reauthMs: 1000 });
    await otherMechanism.send(saslHandshakeApi, 1, { mechanism: 'PLAIN' });
    await otherMechanism.authenticate('\0alice\0alice-pw');
    expect(await otherMechanism.send(saslHandshakeApi, 1, { mechanism: 'SCRAM-SHA-256' })).toMatchObject({
      response: { errorCode: 33 },
      closes: true,
    });
  });

  it('SaslHandshake v0: the messages come as raw tokens without a header; a refused one closes without an answer', async () => {
    const client = connection();
    expect(await client.send(saslHandshakeApi, 0, { mechanism: 'SCRAM-SHA-256' })).toMatchObject({
      response: { errorCode: 0 },
    });
    const raw = (token: string) =>
      dispatcher.dispatch(Buffer.from(token), {
        address: 'test:1',
        session: client.sasl.session,
        logger: silent,
        sasl: client.sasl,
      });
    const bare = 'n=alice,r=rawnonce';
    const first = await raw(`n,,${bare}`);
    expect(first.kind).toBe('response');
    if (first.kind !== 'response') return;
    // Size-prefixed server-first message, nothing else.
    expect(first.frame.readInt32BE(0)).toBe(first.frame.length - 4);
    const serverFirst = first.frame.subarray(4).toString();
    expect(serverFirst).toMatch(/^r=rawnonce/);
    const final = await raw(scramClientFinal('SCRAM-SHA-256', 'alice-pw', bare, serverFirst).message);
    expect(final.kind === 'response' && final.frame.subarray(4).toString()).toMatch(/^v=/);
    expect(client.sasl.session.principal.name).toBe('alice');
    expect(await client.metadata()).toMatchObject({ closes: false });

    const wrong = connection();
    await wrong.send(saslHandshakeApi, 0, { mechanism: 'PLAIN' });
    expect(
      await dispatcher.dispatch(Buffer.from('\0alice\0nope'), {
        address: 'test:1',
        session: wrong.sasl.session,
        logger: silent,
        sasl: wrong.sasl,
      }),
    ).toMatchObject({ kind: 'close' });
  });

  it('on a listener without SASL both SASL APIs answer ILLEGAL_SASL_STATE and the connection stays', async () => {
    const plain = { address: 'test:1', session: anonymousSession('127.0.0.1'), logger: silent };
    const handshake = await dispatcher.dispatch(
      requestFrame(saslHandshakeApi, 1, { mechanism: 'PLAIN' }, 5),
      plain,
    );
    expect(handshake.kind).toBe('response');
    if (handshake.kind !== 'response') return;
    expect(decodeResponseFrame(saslHandshakeApi, 1, handshake.frame).response).toEqual({
      errorCode: 34,
      mechanisms: [],
    });
    const authenticate = await dispatcher.dispatch(
      requestFrame(saslAuthenticateApi, 2, { authBytes: Buffer.from('\0a\0b') }, 6),
      plain,
    );
    expect(authenticate.kind).toBe('response');
    if (authenticate.kind !== 'response') return;
    expect(decodeResponseFrame(saslAuthenticateApi, 2, authenticate.frame).response.errorCode).toBe(34);
  });
});
