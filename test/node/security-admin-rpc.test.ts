// The security admin calls end to end without processes: AdminService encodes each call as a controller
// RPC (proto/controller.proto), ControllerRpc decodes it for a real QuorumController over an in-memory
// metadata log, and the answer comes back through the codec. What crosses the wire must arrive intact.
import { describe, expect, it } from 'vitest';
import { saltedPassword } from '../../src/common/scram.ts';
import type { AclBinding } from '../../src/common/security.ts';
import { ANY_ACL } from '../../src/metadata/acl-filter.ts';
import type { ControllerMessages, ControllerOperation } from '../../src/metadata/controller/rpc-codec.ts';
import {
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
} from '../../src/metadata/controller/rpc-codec.ts';
import { AdminService } from '../../src/node/admin-service.ts';
import type { ControllerClient } from '../../src/node/controller-client.ts';
import { ControllerRpc } from '../../src/node/controller-rpc.ts';
import { ImageWatch } from '../../src/node/image-watch.ts';
import type { QuorumTracker } from '../../src/node/quorum-tracker.ts';
import { activeFixture } from '../metadata/controller/fixtures.ts';

async function adminOverRpc() {
  const fixture = await activeFixture();
  const rpc = new ControllerRpc({
    clusterId: 'cluster',
    controller: fixture.controller,
    driver: {
      status: () => {
        throw new Error('not used');
      },
      readIndex: async () => {
        throw new Error('not used');
      },
    },
    quorum: {} as QuorumTracker,
    nowMs: () => 0,
  });
  const client = {
    async call<O extends ControllerOperation>(
      operation: O,
      request: ControllerMessages[O]['request'],
    ): Promise<ControllerMessages[O]['response']> {
      const decoded = decodeRequest(operation, encodeRequest(operation, request));
      const response = await rpc.handle(operation, decoded);
      return decodeResponse(operation, encodeResponse(operation, response));
    },
  } as unknown as ControllerClient;
  const image = () => fixture.log.image();
  const admin = new AdminService({ client, watch: new ImageWatch(image), timeoutMs: 1000, image });
  return { admin, log: fixture.log };
}

const BINDING: AclBinding = {
  resourceType: 'TOPIC',
  resourceName: 'orders',
  patternType: 'PREFIXED',
  principal: 'User:alice',
  host: '10.1.2.3',
  operation: 'DESCRIBE_CONFIGS',
  permissionType: 'DENY',
};

describe('security admin over the controller RPCs', () => {
  it('creates, describes and deletes ACLs with every field intact', async () => {
    const { admin } = await adminOverRpc();
    const errors = await admin.createAcls([BINDING, { ...BINDING, host: 'nowhere' }]);
    expect(errors[0]).toBeNull();
    expect(errors[1]?.errorName).toBe('INVALID_REQUEST');
    expect(errors[1]?.message).toMatch(/neither an IP address/);
    const [described] = await admin.describeAcls(ANY_ACL);
    expect(described).toMatchObject(BINDING);
    const deleted = await admin.deleteAcls([{ ...ANY_ACL, resourceName: 'orders', patternType: 'MATCH' }]);
    expect(deleted).toEqual([[described]]);
    expect(await admin.describeAcls(ANY_ACL)).toEqual([]);
  });

  it('alters and describes SCRAM credentials and quotas, errors per item', async () => {
    const { admin, log } = await adminOverRpc();
    const salt = Buffer.from('0123456789abcdef');
    const results = await admin.alterUserScramCredentials(
      [
        {
          user: 'alice',
          mechanism: 'SCRAM-SHA-512',
          iterations: 8192,
          salt,
          saltedPassword: saltedPassword('SCRAM-SHA-512', 'secret', salt, 8192),
        },
      ],
      [{ user: 'bob', mechanism: 'SCRAM-SHA-256' }],
    );
    expect(results.map(({ user, error }) => [user, error?.errorName ?? null])).toEqual([
      ['bob', 'RESOURCE_NOT_FOUND'],
      ['alice', null],
    ]);
    expect(log.image().security.scramCredentials.get('alice')?.get('SCRAM-SHA-512')?.salt).toEqual(salt);
    expect(await admin.describeUserScramCredentials(null)).toEqual([
      { user: 'alice', error: null, credentials: [{ mechanism: 'SCRAM-SHA-512', iterations: 8192 }] },
    ]);
    const quotaErrors = await admin.alterClientQuotas(
      [
        { user: null, ops: [{ key: 'producer_byte_rate', value: 1048576 }] },
        { user: 'x', ops: [{ key: 'nope', value: 1 }] },
      ],
      false,
    );
    expect(quotaErrors.map((error) => error?.errorName ?? null)).toEqual([null, 'INVALID_REQUEST']);
    expect(await admin.describeClientQuotas()).toEqual([
      { user: null, quotas: new Map([['producer_byte_rate', 1048576]]) },
    ]);
  });
});
