// The client side of SCRAM (RFC 5802 §3), written from the RFC, for the tests of the server side.
import { saltedPassword, scramHash, scramHmac } from '../../src/common/scram.ts';
import type { ScramMechanism } from '../../src/common/security.ts';

/** RFC 5802 §3's client: the client-final message for a server-first one, and the server signature expected. */
export function scramClientFinal(
  mechanism: ScramMechanism,
  password: string,
  clientFirstBare: string,
  serverFirst: string,
  gs2Header = 'n,,',
): { message: string; serverSignature: string } {
  const fields = new Map(serverFirst.split(',').map((field) => [field.slice(0, 1), field.slice(2)]));
  const salted = saltedPassword(
    mechanism,
    password,
    Buffer.from(fields.get('s')!, 'base64'),
    Number(fields.get('i')),
  );
  const clientKey = scramHmac(mechanism, salted, 'Client Key');
  const storedKey = scramHash(mechanism, clientKey);
  const withoutProof = `c=${Buffer.from(gs2Header).toString('base64')},r=${fields.get('r')}`;
  const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
  const signature = scramHmac(mechanism, storedKey, authMessage);
  const proof = Buffer.from(clientKey.map((byte, i) => byte ^ signature[i]!));
  const serverKey = scramHmac(mechanism, salted, 'Server Key');
  return {
    message: `${withoutProof},p=${proof.toString('base64')}`,
    serverSignature: scramHmac(mechanism, serverKey, authMessage).toString('base64'),
  };
}
