// A broker's producer ids (Kafka's RPCProducerIdManager): it holds a block of ids from the controller
// (AllocateProducerIds) and hands them out one by one to InitProducerId; the next block is fetched when
// this one is used up. Callers that find it empty share one fetch. Ids are unique across the cluster:
// every block was committed to the metadata log before the controller answered it.

import { assert } from '../../raft/assert.ts';
import { KafkaError } from '../common/kafka-errors.ts';
import type { ProducerIdentity } from '../http/ports.ts';
import type { ProducerIdBlock } from '../metadata/controller/producer-id-decisions.ts';

export type { ProducerIdentity };

export interface ProducerIdManagerOptions {
  /** Asks the active controller for the next block (rejects when it cannot be had). */
  readonly allocateBlock: () => Promise<ProducerIdBlock>;
}

export class ProducerIdManager {
  private readonly options: ProducerIdManagerOptions;
  /** The next id to hand out and the end of the current block (exclusive). */
  private nextId = 0;
  private blockEnd = 0;
  private fetching: Promise<void> | null = null;

  constructor(options: ProducerIdManagerOptions) {
    this.options = options;
  }

  /**
   * A fresh producer id with epoch 0 (KIP-98: a new non-transactional producer). COORDINATOR_LOAD_IN_PROGRESS (retriable, as Kafka answers while
   * its broker waits for a block) when no block can be had from the controller now.
   */
  async initProducerId(): Promise<ProducerIdentity> {
    while (this.nextId >= this.blockEnd) {
      this.fetching ??= this.fetchBlock().finally(() => {
        this.fetching = null;
      });
      await this.fetching;
    }
    const producerId = this.nextId++;
    return { producerId, producerEpoch: 0 };
  }

  private async fetchBlock(): Promise<void> {
    let block: ProducerIdBlock;
    try {
      block = await this.options.allocateBlock();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new KafkaError('COORDINATOR_LOAD_IN_PROGRESS', `No producer id block yet: ${reason}`, {
        cause: error,
      });
    }
    assert(
      block.producerIdLen > 0 && block.producerIdStart >= this.blockEnd,
      'producer id blocks move forward',
      { block, previousEnd: this.blockEnd },
    );
    this.nextId = block.producerIdStart;
    this.blockEnd = block.producerIdStart + block.producerIdLen;
  }
}
