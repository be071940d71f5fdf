// DescribeConfigs as Kafka's ConfigHelper: a TOPIC resource lists every topic config with its value and
// source (what REST's GET .../topics/{t}/configs shows, src/metadata/topic-config-describe.ts); a BROKER
// resource lists this node's settings (src/metadata/broker-config-describe.ts). Errors are per resource.
import { KafkaError, KafkaErrors } from '../../common/kafka-errors.ts';
import {
  describeBrokerConfigs,
  describeClusterBrokerDefaults,
  staticBrokerSettings,
} from '../../metadata/broker-config-describe.ts';
import type { MetadataImage } from '../../metadata/image.ts';
import {
  type ConfigSource,
  type ConfigSynonym,
  describeTopicConfigs,
} from '../../metadata/topic-config-describe.ts';
import { type ConfigType, TOPIC_CONFIGS } from '../../metadata/topic-configs.ts';
import { validateTopicName } from '../../metadata/topic-rules.ts';
import { describeConfigsApi } from '../protocol/generated/apis.ts';
import type {
  DescribeConfigsRequest,
  DescribeConfigsResource,
} from '../protocol/generated/describe-configs-request.ts';
import {
  type DescribeConfigsResourceResult,
  type DescribeConfigsResponse,
  type DescribeConfigsResult,
  defaultDescribeConfigsResourceResult,
  defaultDescribeConfigsResponse,
  defaultDescribeConfigsResult,
} from '../protocol/generated/describe-configs-response.ts';
import type { ApiHandler } from '../server/api-handler.ts';
import { requireConfigResource } from './authorization.ts';
import type { KafkaBroker } from './broker-ports.ts';
import {
  BROKER_RESOURCE,
  CONFIG_SOURCE_IDS,
  CONFIG_TYPE_IDS,
  checkBrokerResource,
  TOPIC_RESOURCE,
} from './config-resources.ts';
import { errorAnswer } from './error-codes.ts';

const UNKNOWN_TOPIC_OR_PARTITION = KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION.code;

/** How long a describe of a topic this node does not know waits for it to catch up with the quorum. */
const CATCH_UP_WAIT_MS = 1_000;

/** One config as every resource type describes it. */
interface DescribedConfig {
  readonly name: string;
  readonly value: string | null;
  readonly source: ConfigSource;
  readonly synonyms: readonly ConfigSynonym[];
  readonly type: ConfigType;
  readonly readOnly: boolean;
  /** Kafka documents topic configs in its ConfigDef; this platform's table carries no text for them. */
  readonly documentation: string | null;
}

export function describeConfigsHandler(
  broker: KafkaBroker,
): ApiHandler<DescribeConfigsRequest, DescribeConfigsResponse> {
  const staticSettings = staticBrokerSettings(broker.settings);

  /** The topic's configs; null when there is no such topic. */
  const describeTopic = async (topicName: string): Promise<DescribedConfig[] | null> => {
    const name = validateTopicName(topicName);
    if (!name.ok) throw new KafkaError('INVALID_TOPIC_EXCEPTION', name.reason);
    const describe = (image: MetadataImage) => describeTopicConfigs(image, topicName, staticSettings);
    // A topic created through another node a moment ago: catch up before saying it does not exist.
    let configs = describe(broker.image());
    if (configs === null) {
      await broker.admin.catchUp(CATCH_UP_WAIT_MS).catch(() => undefined);
      configs = describe(broker.image());
    }
    return (
      configs?.map((config) => ({
        ...config,
        type: TOPIC_CONFIGS.get(config.name)?.type ?? 'string',
        readOnly: false,
        documentation: null,
      })) ?? null
    );
  };

  const describeBroker = (resourceName: string): DescribedConfig[] => {
    checkBrokerResource(resourceName, broker.nodeId, 'describe');
    const image = broker.image();
    const configs =
      resourceName === ''
        ? describeClusterBrokerDefaults(image, broker.settings)
        : describeBrokerConfigs(image, broker.settings);
    // Nothing here alters a broker config dynamically.
    return configs.map((config) => ({ ...config, readOnly: true }));
  };

  const describe = async (resource: DescribeConfigsResource): Promise<DescribedConfig[] | null> => {
    switch (resource.resourceType) {
      case TOPIC_RESOURCE:
        return describeTopic(resource.resourceName);
      case BROKER_RESOURCE:
        return describeBroker(resource.resourceName);
      default:
        throw new KafkaError('INVALID_REQUEST', `Unsupported resource type: ${resource.resourceType}`);
    }
  };

  return {
    codec: describeConfigsApi,
    async handle(request, context) {
      const results = await Promise.all(
        request.resources.map(async (resource): Promise<DescribeConfigsResult> => {
          const identity = { resourceType: resource.resourceType, resourceName: resource.resourceName };
          try {
            requireConfigResource(
              broker,
              context,
              'DESCRIBE_CONFIGS',
              resource.resourceType,
              resource.resourceName,
            );
            const described = await describe(resource);
            // Kafka's ConfigHelper answers an unknown topic with the code alone.
            if (described === null)
              return {
                ...defaultDescribeConfigsResult(),
                ...identity,
                errorCode: UNKNOWN_TOPIC_OR_PARTITION,
                errorMessage: null,
              };
            const wanted = resource.configurationKeys;
            const configs = described.filter(
              (config) => wanted === null || wanted.length === 0 || wanted.includes(config.name),
            );
            return {
              ...defaultDescribeConfigsResult(),
              ...identity,
              errorMessage: null,
              configs: configs.map((config) => wireConfig(config, request, context.apiVersion)),
            };
          } catch (error) {
            const answer = errorAnswer(error, context.logger, 'describing configs failed');
            return {
              ...defaultDescribeConfigsResult(),
              ...identity,
              errorCode: answer.code,
              errorMessage: answer.message,
            };
          }
        }),
      );
      return { ...defaultDescribeConfigsResponse(), results };
    },
  };
}

function wireConfig(
  config: DescribedConfig,
  request: DescribeConfigsRequest,
  version: number,
): DescribeConfigsResourceResult {
  return {
    ...defaultDescribeConfigsResourceResult(),
    name: config.name,
    value: config.value,
    readOnly: config.readOnly,
    // Version 0's only hint of the source; later versions carry the source itself.
    isDefault: version === 0 && config.source === 'DEFAULT_CONFIG',
    configSource: CONFIG_SOURCE_IDS[config.source],
    isSensitive: false,
    synonyms: request.includeSynonyms
      ? config.synonyms.map((synonym) => ({
          name: synonym.name,
          value: synonym.value,
          source: CONFIG_SOURCE_IDS[synonym.source],
        }))
      : [],
    configType: CONFIG_TYPE_IDS[config.type],
    documentation: request.includeDocumentation ? config.documentation : null,
  };
}
