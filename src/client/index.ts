// The TypeScript SDK over the native API (docs/design.md §6): `import { Producer, Consumer } from 'kraftling/client'`.
export { Producer, type ProducerOptions, type ProducerRecord, type RecordMetadata } from './producer.ts';
export {
  Consumer,
  type ConsumerOptions,
  type ConsumerRecord,
  type TopicPartition,
  type TopicPartitionOffset,
} from './consumer.ts';
export { KafkaError } from '../common/kafka-errors.ts';
