// DescribeClientQuotas (48) and AlterClientQuotas (49), KIP-546, for the entity type `user` (a name, or
// null for the default entity): the quotas this platform keeps are users' producer_byte_rate and
// consumer_byte_rate. Filters follow Kafka's ClientQuotaFilter: EXACT (0) a name (null: the default),
// DEFAULT (1), SPECIFIED (2) any named user; `strict` keeps only entities with no other entity types,
// which user entities always are. A filter on another entity type matches nothing (no such quotas exist);
// an alteration of another entity type is INVALID_REQUEST.
import { KafkaError } from '../../common/kafka-errors.ts';
import type { QuotaAlteration } from '../../metadata/controller/security-decisions.ts';
import type { ClientQuotaEntry } from '../../metadata/security-queries.ts';
import type {
  AlterClientQuotasRequest,
  EntryData,
} from '../protocol/generated/alter-client-quotas-request.ts';
import {
  type AlterClientQuotasResponse,
  defaultAlterClientQuotasResponse,
} from '../protocol/generated/alter-client-quotas-response.ts';
import { alterClientQuotasApi, describeClientQuotasApi } from '../protocol/generated/apis.ts';
import type {
  ComponentData,
  DescribeClientQuotasRequest,
} from '../protocol/generated/describe-client-quotas-request.ts';
import {
  type DescribeClientQuotasResponse,
  defaultDescribeClientQuotasResponse,
} from '../protocol/generated/describe-client-quotas-response.ts';
import type { ApiHandler } from '../server/api-handler.ts';
import { clusterAllowed, clusterAuthorizationFailed, requireCluster } from './authorization.ts';
import type { KafkaBroker } from './broker-ports.ts';
import { errorAnswer, NONE } from './error-codes.ts';

const USER = 'user';
const MATCH_EXACT = 0;
const MATCH_DEFAULT = 1;
const MATCH_SPECIFIED = 2;

/** Which user entities the components select; throws INVALID_REQUEST for a malformed filter. */
function entityFilter(
  components: readonly ComponentData[],
  strict: boolean,
): (user: string | null) => boolean {
  const types = new Set<string>();
  for (const component of components) {
    if (types.has(component.entityType))
      throw new KafkaError('INVALID_REQUEST', `Duplicate entity type ${component.entityType} in the filter.`);
    types.add(component.entityType);
    if (![MATCH_EXACT, MATCH_DEFAULT, MATCH_SPECIFIED].includes(component.matchType))
      throw new KafkaError('INVALID_REQUEST', `Unknown match type ${component.matchType}.`);
  }
  if ([...types].some((type) => type !== USER)) return () => false;
  const user = components.find((component) => component.entityType === USER);
  if (user === undefined) return () => !strict;
  if (user.matchType === MATCH_DEFAULT) return (name) => name === null;
  if (user.matchType === MATCH_SPECIFIED) return (name) => name !== null;
  return (name) => name === user.match;
}

function describedEntry(entry: ClientQuotaEntry) {
  return {
    entity: [{ entityType: USER, entityName: entry.user }],
    values: [...entry.quotas].map(([key, value]) => ({ key, value })),
  };
}

export function describeClientQuotasHandler(
  broker: KafkaBroker,
): ApiHandler<DescribeClientQuotasRequest, DescribeClientQuotasResponse> {
  return {
    codec: describeClientQuotasApi,
    async handle(request, context) {
      const response = defaultDescribeClientQuotasResponse();
      try {
        requireCluster(broker, context, 'DESCRIBE_CONFIGS');
        const selects = entityFilter(request.components, request.strict);
        const entries = (await broker.admin.describeClientQuotas()).filter((entry) => selects(entry.user));
        return { ...response, entries: entries.map(describedEntry) };
      } catch (error) {
        const answer = errorAnswer(error, context.logger, 'describing client quotas failed');
        return { ...response, errorCode: answer.code, errorMessage: answer.message, entries: null };
      }
    },
  };
}

/** The user entity of an alteration, or the INVALID_REQUEST that it is not one. */
function userOf(entry: EntryData): { user: string | null } | KafkaError {
  const [component] = entry.entity;
  if (entry.entity.length !== 1 || component?.entityType !== USER)
    return new KafkaError(
      'INVALID_REQUEST',
      `Only quotas of the entity type user are kept, not of ${entry.entity.map((entity) => entity.entityType).join('+') || 'no entity'}.`,
    );
  return { user: component.entityName };
}

export function alterClientQuotasHandler(
  broker: KafkaBroker,
): ApiHandler<AlterClientQuotasRequest, AlterClientQuotasResponse> {
  return {
    codec: alterClientQuotasApi,
    async handle(request, context) {
      if (!clusterAllowed(broker, context, 'ALTER_CONFIGS')) {
        const refusal = clusterAuthorizationFailed('ALTER_CONFIGS');
        return {
          ...defaultAlterClientQuotasResponse(),
          entries: request.entries.map((entry) => ({
            errorCode: refusal.code,
            errorMessage: refusal.message,
            entity: entry.entity.map(({ entityType, entityName }) => ({ entityType, entityName })),
          })),
        };
      }
      const entities = request.entries.map(userOf);
      const alterations: QuotaAlteration[] = [];
      request.entries.forEach((entry, index) => {
        const entity = entities[index]!;
        if (entity instanceof KafkaError) return;
        alterations.push({
          user: entity.user,
          ops: entry.ops.map((op) => ({ key: op.key, value: op.remove ? null : op.value })),
        });
      });
      let errors: (KafkaError | null)[] = [];
      let failure: { code: number; message: string } | null = null;
      if (alterations.length > 0) {
        try {
          errors = await broker.admin.alterClientQuotas(alterations, request.validateOnly);
        } catch (error) {
          failure = errorAnswer(error, context.logger, 'altering client quotas failed');
        }
      }
      let next = 0;
      return {
        ...defaultAlterClientQuotasResponse(),
        entries: request.entries.map((entry, index) => {
          const entity = entities[index]!;
          const wireEntity = entry.entity.map(({ entityType, entityName }) => ({ entityType, entityName }));
          if (entity instanceof KafkaError)
            return { errorCode: entity.code, errorMessage: entity.message, entity: wireEntity };
          const error = errors[next++] ?? null;
          if (failure !== null)
            return { errorCode: failure.code, errorMessage: failure.message, entity: wireEntity };
          return {
            errorCode: error?.code ?? NONE,
            errorMessage: error?.message ?? null,
            entity: wireEntity,
          };
        }),
      };
    },
  };
}
