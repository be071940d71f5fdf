import { isKafkaError } from '../../src/common/kafka-errors.ts';
import type { Prng } from '../sim/prng.ts';
import { MS } from '../sim/scheduler.ts';
import type { SimCluster } from './cluster.ts';

const TOPICS = ['orders', 'payments', 'events', 'audit'];

export interface AdminStats {
  requests: number;
  succeeded: number;
  /** Definite refusals (TOPIC_ALREADY_EXISTS, INVALID_REPLICATION_FACTOR, ...). */
  refused: number;
  /** Timeouts and lost answers: the operation may or may not have taken effect. */
  unknown: number;
}

/**
 * A simulated admin client while traffic flows: topics created, deleted and given more partitions, at
 * random moments of the safety phase, through the product's ControllerClient (as AdminService sends
 * them). Operations on one name overlap: the controller must keep one answer per request.
 */
export function scheduleAdminWorkload(cluster: SimCluster, random: Prng, endUs: number): AdminStats {
  const stats: AdminStats = { requests: 0, succeeded: 0, refused: 0, unknown: 0 };
  const { scheduler } = cluster.world;
  const count = (request: Promise<unknown>) => {
    stats.requests++;
    request.then(
      () => stats.succeeded++,
      (error: unknown) => {
        if (isKafkaError(error) && error.errorName !== 'REQUEST_TIMED_OUT') stats.refused++;
        else {
          stats.unknown++;
          cluster.world.note(`admin failed: ${(error as Error).message}`);
        }
      },
    );
  };
  const next = () => {
    const gapUs = random.between(100, 800) * MS;
    if (scheduler.now() + gapUs >= endUs) return;
    scheduler.after(gapUs, () => {
      const name = random.pick(TOPICS);
      // As the REST layer does, the client looks at one node's image first: it asks to create a topic
      // that node does not know, and to delete or grow one it knows (the image may be stale).
      const servers = [...cluster.servers.values()].filter((server) => server.alive);
      const image = servers.length === 0 ? null : random.pick(servers).image();
      const topicId = image?.topicIdsByName.get(name);
      const topic = topicId === undefined ? undefined : image?.topics.get(topicId);
      const roll = random.nextInt(10);
      if (topic === undefined) {
        const partitionsCount = random.between(1, 3);
        cluster.world.note(`admin: create ${name} (${partitionsCount} partitions)`);
        count(
          cluster.admin.call('create-topic', { name, partitionsCount, configs: [], validateOnly: false }),
        );
      } else if (roll < 4) {
        cluster.world.note(`admin: delete ${name}`);
        count(cluster.admin.call('delete-topic', { name }));
      } else {
        const partitionsCount = topic.partitions.size + random.between(1, 2);
        cluster.world.note(`admin: ${name} to ${partitionsCount} partitions`);
        count(cluster.admin.call('create-partitions', { name, partitionsCount, validateOnly: false }));
      }
      next();
    });
  };
  next();
  return stats;
}
