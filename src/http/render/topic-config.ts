// TopicConfigData (Confluent v3: kind KafkaTopicConfig), from src/metadata/topic-config-describe.ts,
// whose fields already carry Confluent's names.

import type { TopicConfigDescription } from '../../metadata/topic-config-describe.ts';
import type { UrlBuilder } from '../urls.ts';
import { crn } from '../urls.ts';
import type { ResourceMetadata } from './resource.ts';

export interface TopicConfigData extends TopicConfigDescription {
  readonly kind: 'KafkaTopicConfig';
  readonly metadata: ResourceMetadata;
  readonly cluster_id: string;
  readonly topic_name: string;
}

export function renderTopicConfig(
  url: UrlBuilder,
  clusterId: string,
  topicName: string,
  config: TopicConfigDescription,
): TopicConfigData {
  return {
    kind: 'KafkaTopicConfig',
    metadata: {
      self: url('v3', 'clusters', clusterId, 'topics', topicName, 'configs', config.name),
      resource_name: crn(clusterId, ['topic', topicName], ['config', config.name]),
    },
    cluster_id: clusterId,
    topic_name: topicName,
    name: config.name,
    value: config.value,
    is_default: config.is_default,
    is_read_only: config.is_read_only,
    is_sensitive: config.is_sensitive,
    source: config.source,
    synonyms: config.synonyms,
  };
}
