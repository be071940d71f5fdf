// Client quotas of users (ours; the REST form of Kafka's DescribeClientQuotas and AlterClientQuotas,
// KIP-546, for the `user` entity only):
//   GET  /v3/clusters/{c}/client-quotas → KafkaClientQuotaList: per user entity (user null = the default
//        of every user) its quotas {producer_byte_rate?, consumer_byte_rate?} in bytes per second
//   POST /v3/clusters/{c}/client-quotas:alter
//        {data: [{user: "alice" | null, quotas: {producer_byte_rate: 1048576 | null, ...}}], validate_only?}
//        → 204; null removes a quota. The first refused entity is the answer (the others still apply).

import { authorizeCluster } from '../authorization.ts';
import type { FastifyInstance } from 'fastify';
import { QUOTA_KEYS } from '../../common/security.ts';
import type { ClientQuotaEntry } from '../../metadata/security-queries.ts';
import { HttpError } from '../errors.ts';
import { resourceList } from '../render/resource.ts';
import type { UrlBuilder } from '../urls.ts';
import { crn, urlBuilder } from '../urls.ts';
import type { ClusterParams, RouteDeps } from './context.ts';
import { paramsSchema } from './context.ts';

interface AlterBody {
  readonly data: readonly {
    readonly user: string | null;
    readonly quotas: Readonly<Record<string, number | null>>;
  }[];
  readonly validate_only?: boolean;
}

const alterSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['data'],
  properties: {
    data: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['user', 'quotas'],
        properties: {
          user: { type: ['string', 'null'] },
          quotas: { type: 'object', additionalProperties: { type: ['number', 'null'] } },
        },
      },
    },
    validate_only: { type: 'boolean' },
  },
} as const;

function renderQuota(url: UrlBuilder, clusterId: string, entry: ClientQuotaEntry) {
  const entity = entry.user === null ? '<default>' : entry.user;
  return {
    kind: 'KafkaClientQuota',
    metadata: {
      self: url('v3', 'clusters', clusterId, 'client-quotas'),
      resource_name: crn(clusterId, ['user', entity]),
    },
    cluster_id: clusterId,
    user: entry.user,
    quotas: Object.fromEntries(
      QUOTA_KEYS.filter((key) => entry.quotas.has(key)).map((key) => [key, entry.quotas.get(key)]),
    ),
  };
}

export function registerClientQuotaRoutes(scope: FastifyInstance, deps: RouteDeps): void {
  const { node } = deps;
  const params = { params: paramsSchema('cluster_id') };

  scope.get<{ Params: ClusterParams }>('/client-quotas', { schema: params }, async (request) => {
    authorizeCluster(request, deps, 'DESCRIBE_CONFIGS');
    const url = urlBuilder(request);
    return resourceList(
      'KafkaClientQuotaList',
      url('v3', 'clusters', node.clusterId, 'client-quotas'),
      (await node.admin.describeClientQuotas()).map((entry) => renderQuota(url, node.clusterId, entry)),
    );
  });

  scope.post<{ Params: ClusterParams; Body: AlterBody }>(
    '/client-quotas::alter',
    { schema: { ...params, body: alterSchema } },
    async (request, reply) => {
      authorizeCluster(request, deps, 'ALTER_CONFIGS');
      const alterations = request.body.data.map(({ user, quotas }) => ({
        user,
        ops: Object.entries(quotas).map(([key, value]) => ({ key, value })),
      }));
      if (alterations.length === 0)
        throw new HttpError('KAFKA_BAD_REQUEST', 'Give at least one entity in data.');
      const errors = await node.admin.alterClientQuotas(alterations, request.body.validate_only === true);
      const failed = errors.find((error) => error !== null);
      if (failed != null) throw failed;
      return reply.code(204).send();
    },
  );
}
