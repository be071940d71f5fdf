// A real Kafka client under a producer_byte_rate quota, in process: kafkajs produces through a real
// KafkaServer over the fake broker, with a default-user quota of constructed client quotas (what the
// image's ClientQuotaRecords hold once they are written), and reads throttle_time_ms > 0 from the
// Produce answer (KIP-219: kafkajs then holds its own requests to that broker for that long).
import { Kafka, logLevel } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientQuotaManager, meterOnClock } from '../../src/common/client-quotas.ts';
import type { QuotaKey } from '../../src/common/security.ts';
import { kafkaApis } from '../../src/kafka/handlers/index.ts';
import { KafkaServer } from '../../src/kafka/server/kafka-server.ts';
import type { MetadataImage } from '../../src/metadata/image.ts';
import { partitionId } from '../../src/metadata/ids.ts';
import { topicByName } from '../../src/metadata/queries.ts';
import { silent } from './exchange.ts';
import { fakeBroker } from './fake-broker.ts';

let server: KafkaServer | null = null;
let disconnect: (() => Promise<void>) | null = null;

afterEach(async () => {
  await disconnect?.();
  disconnect = null;
  await server?.close();
  server = null;
});

/**
 * The fake cluster's image with `self` reachable at this listener; the others have no endpoint on it
 * (kafkajs takes brokers at one address for one broker).
 */
function withKafkaListener(image: MetadataImage, self: number, port: number): MetadataImage {
  const endpoint = { name: 'PLAINTEXT', host: '127.0.0.1', port, securityProtocol: 'PLAINTEXT' } as const;
  return {
    ...image,
    brokers: new Map(
      [...image.brokers].map(([id, broker]) => [
        id,
        id === self ? { ...broker, endpoints: [...broker.endpoints, endpoint] } : broker,
      ]),
    ),
  };
}

describe('kafkajs under a producer_byte_rate quota', () => {
  it('reads throttle_time_ms > 0 from its Produce answers', async () => {
    const broker = fakeBroker();
    await broker.node.createTopic({
      name: 'orders',
      partitionsCount: 1,
      replicationFactor: 1,
      configs: new Map(),
      validateOnly: false,
    });
    // One partition, led here: kafkajs refuses a topic with a partition whose leader it cannot reach.
    const led = 0;
    expect(topicByName(broker.node.image(), 'orders')!.partitions.get(partitionId(led))?.leader).toBe(
      broker.nodeId,
    );
    const quotas = new Map([['', new Map<QuotaKey, number>([['producer_byte_rate', 1000]])]]);
    const meter = meterOnClock(new ClientQuotaManager({ samples: 2, windowMs: 100 }, () => quotas), Date.now);
    let port = 0;
    server = await KafkaServer.start({
      host: '127.0.0.1',
      port: 0,
      apis: kafkaApis({
        ...broker,
        listenerName: 'PLAINTEXT',
        image: () => withKafkaListener(broker.node.image(), broker.nodeId, port),
        quotas: meter,
      }),
      frameBytesMax: 1 << 20,
      logger: silent,
    });
    port = server.port;
    const throttles: string[] = [];
    const kafka = new Kafka({
      clientId: 'quota-test',
      brokers: [`127.0.0.1:${port}`],
      logLevel: logLevel.DEBUG,
      logCreator: () => (entry) => {
        const message = entry.log.message;
        if (message.startsWith('Client side throttling')) throttles.push(message);
      },
    });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    disconnect = () => producer.disconnect();
    // ~3 KB in one window of 100 ms against 1 KB/s: the longest throttle, 200 ms.
    await producer.send({
      topic: 'orders',
      acks: -1,
      messages: [{ partition: led, value: 'x'.repeat(3000) }],
    });
    expect(throttles).toEqual(['Client side throttling in effect for 200ms']);
    // The next produce waits the throttle out (kafkajs holds it, the broker does not read it) and lands.
    const started = Date.now();
    const [sent] = await producer.send({
      topic: 'orders',
      acks: -1,
      messages: [{ partition: led, value: 'y' }],
    });
    expect(sent!.errorCode).toBe(0);
    expect(sent!.baseOffset).toBe('1');
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
  });
});
