// Users' SCRAM credentials (ours; the REST form of Kafka's DescribeUserScramCredentials and
// AlterUserScramCredentials, KIP-554):
//   GET  /v3/clusters/{c}/user-scram-credentials[?user=a&user=b] → KafkaUserScramCredentialList: per user
//        its mechanisms and iterations (never salts or keys); a user asked by name without any: 404
//   POST /v3/clusters/{c}/user-scram-credentials:alter
//        {upsertions: [{user, mechanism, iterations?, password}], deletions: [{user, mechanism}]} → 204
// The node salts (32 random bytes) and derives the salted password here; the password goes no further.
// Kafka answers per user: when one fails, the others still apply and the first failure is the answer
// (an unknown mechanism: 400 / 40002, not the 401 that UNSUPPORTED_SASL_MECHANISM means on a login).

import { authorizeCluster } from '../authorization.ts';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { SCRAM_ITERATIONS_MAX, SCRAM_ITERATIONS_MIN, saltedPassword } from '../../common/scram.ts';
import type { ScramMechanism } from '../../common/security.ts';
import { SCRAM_MECHANISMS } from '../../common/security.ts';
import type { ScramUpsertion } from '../../metadata/controller/security-decisions.ts';
import type { UserScramCredentialsDescription } from '../../metadata/security-queries.ts';
import { HttpError } from '../errors.ts';
import { resourceList } from '../render/resource.ts';
import type { UrlBuilder } from '../urls.ts';
import { crn, urlBuilder } from '../urls.ts';
import type { ClusterParams, RouteDeps } from './context.ts';
import { paramsSchema } from './context.ts';

interface AlterBody {
  readonly upsertions?: readonly {
    readonly user: string;
    readonly mechanism: string;
    readonly iterations?: number;
    readonly password: string;
  }[];
  readonly deletions?: readonly { readonly user: string; readonly mechanism: string }[];
}

const alterSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    upsertions: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['user', 'mechanism', 'password'],
        properties: {
          user: { type: 'string' },
          mechanism: { type: 'string' },
          iterations: { type: 'integer' },
          password: { type: 'string', minLength: 1 },
        },
      },
    },
    deletions: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['user', 'mechanism'],
        properties: { user: { type: 'string' }, mechanism: { type: 'string' } },
      },
    },
  },
} as const;

function isMechanism(name: string): name is ScramMechanism {
  return Object.hasOwn(SCRAM_MECHANISMS, name);
}

/**
 * An upsertion as the controller takes it. PBKDF2 runs only for a known mechanism and iterations in
 * Kafka's bounds (a huge count would stall the node); otherwise the controller refuses it with Kafka's error.
 */
function upsertionOf(item: NonNullable<AlterBody['upsertions']>[number]): ScramUpsertion {
  const iterations = item.iterations ?? SCRAM_ITERATIONS_MIN;
  const mechanism = item.mechanism.toUpperCase();
  if (!isMechanism(mechanism) || iterations < SCRAM_ITERATIONS_MIN || iterations > SCRAM_ITERATIONS_MAX)
    return { user: item.user, mechanism, iterations, salt: Buffer.alloc(0), saltedPassword: Buffer.alloc(0) };
  const salt = randomBytes(32);
  return {
    user: item.user,
    mechanism,
    iterations,
    salt,
    saltedPassword: saltedPassword(mechanism, item.password, salt, iterations),
  };
}

function renderUser(url: UrlBuilder, clusterId: string, description: UserScramCredentialsDescription) {
  return {
    kind: 'KafkaUserScramCredential',
    metadata: {
      self: `${url('v3', 'clusters', clusterId, 'user-scram-credentials')}?user=${encodeURIComponent(description.user)}`,
      resource_name: crn(clusterId, ['user', description.user]),
    },
    cluster_id: clusterId,
    user: description.user,
    credentials: description.credentials.map(({ mechanism, iterations }) => ({ mechanism, iterations })),
  };
}

export function registerUserScramCredentialRoutes(scope: FastifyInstance, deps: RouteDeps): void {
  const { node } = deps;
  const params = { params: paramsSchema('cluster_id') };

  scope.get<{ Params: ClusterParams; Querystring: { user?: string | string[] } }>(
    '/user-scram-credentials',
    { schema: params },
    async (request) => {
      authorizeCluster(request, deps, 'DESCRIBE');
      const url = urlBuilder(request);
      const asked = request.query.user;
      const users = asked === undefined ? null : Array.isArray(asked) ? asked : [asked];
      const descriptions = await node.admin.describeUserScramCredentials(users);
      const failed = descriptions.find((description) => description.error !== null);
      if (failed?.error != null) throw failed.error;
      return resourceList(
        'KafkaUserScramCredentialList',
        url('v3', 'clusters', node.clusterId, 'user-scram-credentials'),
        descriptions.map((description) => renderUser(url, node.clusterId, description)),
      );
    },
  );

  scope.post<{ Params: ClusterParams; Body: AlterBody }>(
    '/user-scram-credentials::alter',
    { schema: { ...params, body: alterSchema } },
    async (request, reply) => {
      authorizeCluster(request, deps, 'ALTER');
      const upsertions = (request.body.upsertions ?? []).map(upsertionOf);
      const deletions = (request.body.deletions ?? []).map(({ user, mechanism }) => ({
        user,
        mechanism: mechanism.toUpperCase(),
      }));
      if (upsertions.length === 0 && deletions.length === 0)
        throw new HttpError('KAFKA_BAD_REQUEST', 'Give at least one upsertion or deletion.');
      const results = await node.admin.alterUserScramCredentials(upsertions, deletions);
      const failed = results.find((result) => result.error !== null)?.error;
      // UNSUPPORTED_SASL_MECHANISM answers a login with 401; in an admin request it is a bad value.
      if (failed?.errorName === 'UNSUPPORTED_SASL_MECHANISM')
        throw new HttpError('KAFKA_BAD_REQUEST', failed.message);
      if (failed != null) throw failed;
      return reply.code(204).send();
    },
  );
}
