// A topic's dead-letter policy as its configs in the image say (dead.letter.enable, dead.letter.topic,
// max.delivery.attempts, dead.letter.retry.delay.ms: src/metadata/topic-configs.ts), and the topics a
// subscription reads once each topic with the policy brings its dead-letter topic along.

import { type DeadLetterPolicy, deadLetterPolicyOf } from '../common/dead-letter.ts';
import type { MetadataImage } from './image.ts';
import { configResourceKey } from './image.ts';
import { topicByName } from './queries.ts';
import { effectiveTopicConfig } from './topic-configs.ts';

/** The policy of topic `topicName`; null when the topic does not exist or dead.letter.enable is false. */
export function deadLetterPolicy(image: MetadataImage, topicName: string): DeadLetterPolicy | null {
  if (topicByName(image, topicName) === undefined) return null;
  const overrides = image.configs.get(configResourceKey('topic', topicName));
  return deadLetterPolicyOf((name) => effectiveTopicConfig(overrides, name, topicName));
}

/**
 * For the topics of a subscription: each dead-letter topic they send rejected records to, with the
 * subscribed topics that send to it (a member redelivers only those topics' records from it).
 */
export function deadLetterRoutes(
  image: MetadataImage,
  topics: readonly string[],
): Map<string, ReadonlySet<string>> {
  const routes = new Map<string, Set<string>>();
  for (const topic of topics) {
    const policy = deadLetterPolicy(image, topic);
    if (policy === null) continue;
    const origins = routes.get(policy.topic) ?? new Set<string>();
    origins.add(topic);
    routes.set(policy.topic, origins);
  }
  return routes;
}
