// Kafka's topic name rules (org.apache.kafka.common.internals.Topic): legal characters, length, and
// the '.'/'_' collision rule. Metric names replace '.' with '_', so Kafka refuses to create a topic
// whose name equals an existing topic's once both have '.' replaced by '_' ("a.b" vs "a_b").

import type { MetadataImage } from './image.ts';

export const TOPIC_NAME_LENGTH_MAX = 249;

/** Kafka's internal topics: written by the brokers themselves, never by clients. */
export const INTERNAL_TOPICS: ReadonlySet<string> = new Set(['__consumer_offsets', '__transaction_state']);

export function isInternalTopic(name: string): boolean {
  return INTERNAL_TOPICS.has(name);
}

const LEGAL_CHARS = /^[a-zA-Z0-9._-]+$/;

export type TopicNameCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** Checks a topic name with Kafka's rules and messages (InvalidTopicException). */
export function validateTopicName(name: string): TopicNameCheck {
  if (name.length === 0) return { ok: false, reason: "Topic name is illegal, it can't be empty" };
  if (name === '.' || name === '..') return { ok: false, reason: 'Topic name cannot be "." or ".."' };
  if (name.length > TOPIC_NAME_LENGTH_MAX) {
    return {
      ok: false,
      reason: `Topic name is illegal, it can't be longer than ${TOPIC_NAME_LENGTH_MAX} characters, topic name: ${name}`,
    };
  }
  if (!LEGAL_CHARS.test(name)) {
    return {
      ok: false,
      reason: `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`,
    };
  }
  return { ok: true };
}

export function isLegalTopicName(name: string): boolean {
  return validateTopicName(name).ok;
}

/** True when the name contains '.' or '_', the characters that may collide. */
export function hasCollisionChars(name: string): boolean {
  return name.includes('.') || name.includes('_');
}

/** The name with every '.' replaced by '_': names that unify to the same string collide. */
export function unifyCollisionChars(name: string): string {
  return name.replaceAll('.', '_');
}

/**
 * The name of an existing topic, other than `name` itself, that collides with `name`; or null. (An
 * existing topic named exactly `name` is TOPIC_ALREADY_EXISTS, a different error: see topicByName.)
 */
export function collidingTopic(image: MetadataImage, name: string): string | null {
  if (!hasCollisionChars(name)) return null;
  const unified = unifyCollisionChars(name);
  for (const existing of image.topicIdsByName.keys()) {
    if (existing !== name && unifyCollisionChars(existing) === unified) return existing;
  }
  return null;
}

/** Kafka's message for a colliding name (InvalidTopicException). */
export function collisionMessage(name: string, existing: string): string {
  return `Topic '${name}' collides with existing topic: ${existing}`;
}
