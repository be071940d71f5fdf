// Producer ids for idempotent producers (Kafka's ProducerIdControlManager): the controller hands brokers
// blocks of ids; each block moves the image's next free id past it with a ProducerIds record, so an id
// is never handed out twice, across controller failovers included (the record is committed before the
// block is answered).

import { KafkaError } from '../../common/kafka-errors.ts';
import type { BrokerEpoch, BrokerId } from '../ids.ts';
import type { MetadataImage } from '../image.ts';
import type { ProducerIdsRecord } from '../records.ts';
import { requireRegistration } from './broker-decisions.ts';

/** Kafka's ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE. */
export const PRODUCER_ID_BLOCK_SIZE = 1000;

/** Ids [start, start + length): a broker's to hand out. */
export interface ProducerIdBlock {
  readonly producerIdStart: number;
  readonly producerIdLen: number;
}

export interface AllocateProducerIdsRequest {
  readonly brokerId: BrokerId;
  readonly brokerEpoch: BrokerEpoch;
}

/**
 * The next block for a registered broker at its current epoch (STALE_BROKER_EPOCH otherwise). Ids are
 * int64 in Kafka; here they stay safe integers (2^53 ids outlast any cluster), refused past that.
 */
export function decideAllocateProducerIds(
  image: MetadataImage,
  request: AllocateProducerIdsRequest,
): { record: ProducerIdsRecord; block: ProducerIdBlock } {
  requireRegistration(image, request.brokerId, request.brokerEpoch);
  const producerIdStart = image.nextProducerId;
  const nextProducerId = producerIdStart + PRODUCER_ID_BLOCK_SIZE;
  if (!Number.isSafeInteger(nextProducerId)) {
    throw new KafkaError('UNKNOWN_SERVER_ERROR', `Producer ids are exhausted (next ${producerIdStart}).`);
  }
  return {
    record: {
      type: 'producerIds',
      brokerId: request.brokerId,
      brokerEpoch: request.brokerEpoch,
      nextProducerId,
    },
    block: { producerIdStart, producerIdLen: PRODUCER_ID_BLOCK_SIZE },
  };
}
