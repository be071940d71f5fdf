// What AlterConfigs and IncrementalAlterConfigs share, in the order Kafka checks (KRaft: the broker's
// ConfigAdminManager.preprocess, then the controller): a resource named twice, a key named twice in a
// resource, a null value where one is needed (INVALID_REQUEST); a BROKER resource is refused (no broker
// config can be altered dynamically here); a TOPIC resource goes to the controller through
// AdminApi.alterTopicConfigs, as REST's configs:alter, with its validation (INVALID_CONFIG,
// UNKNOWN_TOPIC_OR_PARTITION) and validate_only. ALTER_CONFIGS is asked on the topic, or on the cluster
// for a BROKER resource, before anything else of the resource is looked at.
//
// A change that depends on the current overrides (AlterConfigs deletes those not listed; APPEND and
// SUBTRACT edit a list) reads them from this node's image after a read barrier; the controller applies
// the resulting set, so a change to the same key through another node in between is overwritten.
import { KafkaError } from '../../common/kafka-errors.ts';
import type { ConfigAlteration } from '../../http/ports.ts';
import { configResourceKey } from '../../metadata/image.ts';
import { TOPIC_CONFIGS } from '../../metadata/topic-configs.ts';
import type { RequestContext } from '../server/api-handler.ts';
import { requireConfigResource } from './authorization.ts';
import type { KafkaBroker } from './broker-ports.ts';
import { BROKER_RESOURCE, checkBrokerResource, TOPIC_RESOURCE } from './config-resources.ts';
import { errorAnswer } from './error-codes.ts';

/** IncrementalAlterConfigs' operations (Kafka's AlterConfigOp.OpType); AlterConfigs' changes are all SET. */
export const SET = 0;
export const DELETE = 1;
const APPEND = 2;
const SUBTRACT = 3;
const OPERATION_NAMES: ReadonlyMap<number, string> = new Map([
  [SET, 'SET'],
  [DELETE, 'DELETE'],
  [APPEND, 'APPEND'],
  [SUBTRACT, 'SUBTRACT'],
]);

export interface ConfigChange {
  readonly name: string;
  readonly operation: number;
  readonly value: string | null;
}

export interface ResourceChanges {
  readonly resourceType: number;
  readonly resourceName: string;
  readonly changes: readonly ConfigChange[];
}

export interface ResourceOutcome {
  readonly resourceType: number;
  readonly resourceName: string;
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

/** How long a change that reads the current overrides waits for this node to catch up with the quorum. */
const CATCH_UP_WAIT_MS = 1_000;

/**
 * Applies each resource's changes; an error is that resource's only. `replace`: AlterConfigs, whose
 * changes are the topic's whole dynamic set (an override not listed goes back to its default).
 */
export async function alterResources(
  broker: KafkaBroker,
  resources: readonly ResourceChanges[],
  options: { readonly replace: boolean; readonly validateOnly: boolean; readonly context: RequestContext },
): Promise<ResourceOutcome[]> {
  const named = new Map<string, number>();
  for (const { resourceType, resourceName } of resources) {
    const key = `${resourceType}:${resourceName}`;
    named.set(key, (named.get(key) ?? 0) + 1);
  }
  return Promise.all(
    resources.map(async (resource): Promise<ResourceOutcome> => {
      const identity = { resourceType: resource.resourceType, resourceName: resource.resourceName };
      try {
        if (named.get(`${resource.resourceType}:${resource.resourceName}`)! > 1)
          throw new KafkaError('INVALID_REQUEST', 'Each resource must appear at most once.');
        requireConfigResource(
          broker,
          options.context,
          'ALTER_CONFIGS',
          resource.resourceType,
          resource.resourceName,
        );
        checkChanges(resource.changes);
        switch (resource.resourceType) {
          case TOPIC_RESOURCE:
            await alterTopic(broker, resource, options);
            break;
          case BROKER_RESOURCE:
            refuseBrokerChanges(broker, resource);
            break;
          default:
            throw new KafkaError('INVALID_REQUEST', `Unknown resource type ${resource.resourceType}`);
        }
        return { ...identity, errorCode: 0, errorMessage: null };
      } catch (error) {
        const answer = errorAnswer(error, options.context.logger, 'altering configs failed');
        return { ...identity, errorCode: answer.code, errorMessage: answer.message };
      }
    }),
  );
}

function checkChanges(changes: readonly ConfigChange[]): void {
  if (new Set(changes.map((change) => change.name)).size !== changes.length)
    throw new KafkaError('INVALID_REQUEST', 'Error due to duplicate config keys');
  const nullValued = changes.filter((change) => change.operation !== DELETE && change.value === null);
  if (nullValued.length > 0) {
    const names = nullValued.map((change) => change.name).join(', ');
    throw new KafkaError('INVALID_REQUEST', `Null value not supported for : ${names}`);
  }
  const unknown = changes.find((change) => !OPERATION_NAMES.has(change.operation));
  if (unknown !== undefined)
    throw new KafkaError('INVALID_REQUEST', `Unknown operations type ${unknown.operation}`);
}

/**
 * Kafka refuses a broker config that cannot change at run time; here none can. Deleting one is a no-op
 * (no broker config is ever set dynamically), which Kafka accepts.
 */
function refuseBrokerChanges(broker: KafkaBroker, resource: ResourceChanges): void {
  checkBrokerResource(resource.resourceName, broker.nodeId, 'alter');
  const setting = resource.changes.filter((change) => change.operation !== DELETE);
  if (setting.length === 0) return;
  const names = setting.map((change) => change.name).join(', ');
  throw new KafkaError('INVALID_REQUEST', `Cannot update these configs dynamically: Set(${names})`);
}

async function alterTopic(
  broker: KafkaBroker,
  resource: ResourceChanges,
  options: { readonly replace: boolean; readonly validateOnly: boolean },
): Promise<void> {
  const topicName = resource.resourceName;
  const readsCurrent =
    options.replace ||
    resource.changes.some((change) => change.operation === APPEND || change.operation === SUBTRACT);
  if (readsCurrent) await broker.admin.catchUp(CATCH_UP_WAIT_MS).catch(() => undefined);
  const current = broker.image().configs.get(configResourceKey('topic', topicName)) ?? new Map();
  const alterations: ConfigAlteration[] = resource.changes.map((change) => alterationOf(change, current));
  if (options.replace) {
    const listed = new Set(resource.changes.map((change) => change.name));
    for (const name of current.keys()) if (!listed.has(name)) alterations.push({ name, value: null });
  }
  await broker.admin.alterTopicConfigs(topicName, alterations, options.validateOnly);
}

/** One change as the value it leaves (null: back to the default), from the topic's current overrides. */
function alterationOf(change: ConfigChange, current: ReadonlyMap<string, string>): ConfigAlteration {
  const { name, operation, value } = change;
  if (operation === DELETE) return { name, value: null };
  // checkChanges refused a null value for every other operation.
  const given = value!;
  if (operation === SET) return { name, value: given };
  const definition = TOPIC_CONFIGS.get(name);
  if (definition?.type !== 'list') {
    throw new KafkaError(
      'INVALID_CONFIG',
      `Can't ${OPERATION_NAMES.get(operation)} to key ${name} because its type is not LIST.`,
    );
  }
  const parts = listParts(current.get(name) ?? definition.defaultValue);
  const asked = given.split(',');
  const next =
    operation === APPEND
      ? [...parts, ...asked.filter((part, index) => !parts.includes(part) && asked.indexOf(part) === index)]
      : parts.filter((part) => !asked.includes(part));
  return { name, value: next.join(',') };
}

/** A list config's elements (Kafka's ConfigDef LIST parsing: comma-separated, trimmed; "" is none). */
function listParts(value: string): string[] {
  const trimmed = value.trim();
  return trimmed === '' ? [] : trimmed.split(/\s*,\s*/);
}
