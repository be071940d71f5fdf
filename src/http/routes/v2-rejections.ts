// Ours, beside the REST v2 consumer routes: POST /consumers/{g}/instances/{i}/rejections sets records the
// instance returned aside in their topics' dead-letter topics (consumers/dead-letter.ts) and answers 204
// once every copy is acknowledged by all in-sync replicas. Through another node than the instance's, the
// request is relayed to it as the other instance routes are (consumers/forwarding.ts).

import { principalText } from '../../common/security.ts';
import type { FastifyInstance } from 'fastify';
import { REJECTION_REASON_LENGTH_MAX } from '../../common/dead-letter.ts';
import type { Rejection } from '../consumers/dead-letter.ts';
import type { InstanceForwarding } from '../consumers/forwarding.ts';
import type { ConsumerRegistry } from '../consumers/registry.ts';
import { paramsSchema } from './context.ts';
import { instanceRelay } from './v2-consumers.ts';
import { authorizeGroup, authorizeTopic } from '../authorization.ts';
import type { RouteDeps } from './context.ts';

interface InstanceParams {
  readonly group_name: string;
  readonly instance: string;
}

/** The most records one call may reject. */
export const REJECTIONS_MAX = 1000;

const rejectionsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['records'],
  properties: {
    records: {
      type: 'array',
      minItems: 1,
      maxItems: REJECTIONS_MAX,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['topic', 'partition', 'offset'],
        properties: {
          topic: { type: 'string', minLength: 1 },
          partition: { type: 'integer', minimum: 0 },
          offset: { type: 'integer', minimum: 0 },
          reason: { type: ['string', 'null'], maxLength: REJECTION_REASON_LENGTH_MAX },
        },
      },
    },
  },
} as const;

interface RejectionsBody {
  readonly records: readonly {
    readonly topic: string;
    readonly partition: number;
    readonly offset: number;
    readonly reason?: string | null;
  }[];
}

export function registerV2RejectionRoutes(
  scope: FastifyInstance,
  deps: RouteDeps,
  registry: ConsumerRegistry,
  forwarding: InstanceForwarding | null,
): void {
  scope.post<{ Params: InstanceParams; Body: RejectionsBody }>(
    '/consumers/:group_name/instances/:instance/rejections',
    {
      onRequest: instanceRelay(forwarding),
      schema: { params: paramsSchema('group_name', 'instance'), body: rejectionsSchema },
    },
    async (request, reply) => {
      // As every instance route: READ on the group, and on the topics of the records it read.
      authorizeGroup(request, deps, 'READ', request.params.group_name);
      for (const topic of new Set(request.body.records.map((record) => record.topic)))
        authorizeTopic(request, deps, 'READ', topic);
      const instance = registry.get(
        request.params.group_name,
        request.params.instance,
        principalText(request.session.principal),
      );
      const rejections: Rejection[] = request.body.records.map((record) => ({
        topic: record.topic,
        partition: record.partition,
        offset: record.offset,
        reason: record.reason ?? null,
      }));
      await instance.exclusive(() => instance.reject(rejections));
      return reply.code(204).send();
    },
  );
}
