// The TypeScript SDK (docs/design.md §6): `import { Producer, Consumer, Admin } from 'kraftling/client'`.
export { Producer, type ProducerOptions, type ProducerRecord, type RecordMetadata } from './producer.ts';
export {
  Consumer,
  type ConsumerOptions,
  type ConsumerRecord,
  type TopicPartition,
  type TopicPartitionOffset,
} from './consumer.ts';
export { Admin } from './admin.ts';
export type { ClientSecurity, ClientTls } from './security.ts';
export type { SaslCredentials, SaslMechanismName } from './credentials.ts';
export type * from './admin-types.ts';
export { RestError } from './rest-errors.ts';
export { KafkaError } from '../common/kafka-errors.ts';
