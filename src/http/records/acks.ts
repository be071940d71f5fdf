// The acks of a REST produce: the client's `?acks=all|-1|0|1` when it gives one, else the topic's `acks`
// config (src/metadata/topic-configs.ts; default all).

import { KafkaError } from '../../common/kafka-errors.ts';
import type { MetadataImage } from '../../metadata/image.ts';
import { configResourceKey } from '../../metadata/image.ts';
import { ACKS_VALUES, acksNumber, topicAcks } from '../../metadata/topic-configs.ts';
import type { RequestAcks } from './producer.ts';

/** The `acks` query parameter as a number, or null when absent; INVALID_REQUIRED_ACKS (400 / 40002) when bad. */
export function acksParameter(value: string | readonly string[] | undefined): RequestAcks['acks'] | null {
  if (value === undefined) return null;
  const text = typeof value === 'string' ? value : value.join(',');
  const acks = typeof value === 'string' ? acksNumber(text) : null;
  if (acks === null) {
    throw new KafkaError(
      'INVALID_REQUIRED_ACKS',
      `Invalid value ${text} for query parameter acks: must be one of ${ACKS_VALUES.join(', ')}.`,
    );
  }
  return acks;
}

/** The request's acks: `?acks=` if given, else the topic's config. */
export function requestAcks(
  image: MetadataImage,
  topicName: string,
  parameter: string | readonly string[] | undefined,
): RequestAcks {
  const given = acksParameter(parameter);
  if (given !== null) return { acks: given, explicit: true };
  return { acks: topicAcks(image.configs.get(configResourceKey('topic', topicName))), explicit: false };
}
