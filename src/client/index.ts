// The TypeScript SDK over the native API (docs/design.md §6): `import { Producer } from 'kraftling/client'`.
export { Producer, type ProducerOptions, type ProducerRecord, type RecordMetadata } from './producer.ts';
export { KafkaError } from '../common/kafka-errors.ts';
