// GET /metrics: Prometheus text, one registry per node (several nodes may share a process in tests).
// Process and Node.js runtime metrics from prom-client; the node's own state is read when scraped, so
// nothing is computed between scrapes; request counters and latencies are updated as requests run.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { RaftStatus } from '../../raft/node.ts';
import type { ThrottleObserver } from '../common/client-quotas.ts';
import type { ConnectionRefusalCounts } from '../common/connection-limits.ts';
import { principalText } from '../common/security.ts';
import type { MetadataImage } from '../metadata/image.ts';
import { NO_LEADER } from '../metadata/ids.ts';
import type { KafkaListenerObserver } from '../kafka/server/request-dispatch.ts';
import type { ClientTrafficObserver, ReplicaManager } from '../replication/replica-manager.ts';

export interface MetricsSources {
  readonly raft: () => RaftStatus;
  readonly image: () => MetadataImage;
  readonly replicas: () => ReplicaManager | null;
  /** Connections the internal listeners refused (no certificate, no or a bad peer preface), since start. */
  readonly refusedPeerConnections?: () => number;
  /** Connections refused by every listener of this node (counted from before this registry exists). */
  readonly connectionRefusals?: ConnectionRefusalCounts;
}

/** Throttle times in ms: a few ms of excess up to the longest throttle (quota.window.num × size, 11 s). */
const THROTTLE_BUCKETS_MS = [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 11_000, 30_000];

/** Latency buckets in seconds: a produce with acks=all is a few ms; a long poll up to seconds. */
const LATENCY_BUCKETS = [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class NodeMetrics {
  readonly registry = new Registry();
  readonly produceRequests: Counter<'result'>;
  readonly producedBytes: Counter;
  readonly produceSeconds: Histogram<'acks'>;
  readonly readRequests: Counter<'result'>;
  readonly readBytes: Counter;
  /** The Kafka protocol's listener (src/kafka): requests by API and outcome, their time, connections. */
  readonly kafka: KafkaListenerObserver;
  /** Clients' records in and out of the partitions this broker leads, by topic (every client path). */
  readonly traffic: ClientTrafficObserver;
  /** Requests throttled by a client quota, by principal and kind (produce, fetch). */
  readonly throttled: ThrottleObserver;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.produceRequests = new Counter({
      name: 'kraftling_produce_requests_total',
      help: 'Produce requests (one partition each) taken by this node, by result: ok or a Kafka error name.',
      labelNames: ['result'],
      registers,
    });
    this.producedBytes = new Counter({
      name: 'kraftling_produce_bytes_total',
      help: 'Bytes of record batches produced through this node.',
      registers,
    });
    this.produceSeconds = new Histogram({
      name: 'kraftling_produce_duration_seconds',
      help: 'Time from taking a produce to answering it, by acks.',
      labelNames: ['acks'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.readRequests = new Counter({
      name: 'kraftling_read_requests_total',
      help: 'Partition reads (consumer fetches) taken by this node, by result.',
      labelNames: ['result'],
      registers,
    });
    this.readBytes = new Counter({
      name: 'kraftling_read_bytes_total',
      help: 'Bytes of record batches read through this node.',
      registers,
    });
    this.kafka = this.kafkaListenerMetrics();
    this.traffic = this.trafficMetrics();
    this.throttled = this.throttleMetrics();
    this.connectionRefusalMetrics(sources.connectionRefusals ?? null);
    this.raftGauges(sources);
    this.partitionGauges(sources);
  }

  private kafkaListenerMetrics(): KafkaListenerObserver {
    const registers = [this.registry];
    const requests = new Counter({
      name: 'kraftling_kafka_requests_total',
      help: 'Kafka protocol requests, by API and outcome: response, none (acks=0) or close (the connection was closed).',
      labelNames: ['api', 'outcome'],
      registers,
    });
    const seconds = new Histogram({
      name: 'kraftling_kafka_request_duration_seconds',
      help: 'Time from a Kafka protocol request taken to its outcome, by API (a Fetch includes its long poll).',
      labelNames: ['api'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    const connections = new Gauge({
      name: 'kraftling_kafka_connections',
      help: 'Open connections on the Kafka protocol listener.',
      registers,
    });
    return {
      requestDone: (api, outcome, elapsed) => {
        requests.inc({ api, outcome });
        seconds.observe({ api }, elapsed);
      },
      connectionOpened: () => connections.inc(),
      connectionClosed: () => connections.dec(),
    };
  }

  /**
   * Kafka's BrokerTopicMetrics (MessagesInPerSec, BytesInPerSec, BytesOutPerSec) as counters, counted by
   * the partition leader, so the cluster's rates are the sums over its brokers whichever node a client
   * talked to; the web console charts them.
   */
  private trafficMetrics(): ClientTrafficObserver {
    const counter = (name: string, help: string) =>
      new Counter({ name, help, labelNames: ['topic'], registers: [this.registry] });
    const messagesIn = counter(
      'kraftling_messages_in_total',
      'Records appended by the partitions this broker leads (produce and group commits), by topic.',
    );
    const bytesIn = counter(
      'kraftling_bytes_in_total',
      'Bytes of record batches appended by the partitions this broker leads, by topic.',
    );
    const messagesOut = counter(
      'kraftling_messages_out_total',
      "Records handed to clients' reads by the partitions this broker leads (from the read position to the end of the batches returned; not replication), by topic.",
    );
    const bytesOut = counter(
      'kraftling_bytes_out_total',
      "Bytes of record batches handed to clients' reads by the partitions this broker leads (not replication), by topic.",
    );
    return {
      appended: (topic, records, bytes) => {
        messagesIn.inc({ topic }, records);
        bytesIn.inc({ topic }, bytes);
      },
      read: (topic, records, bytes) => {
        messagesOut.inc({ topic }, records);
        bytesOut.inc({ topic }, bytes);
      },
    };
  }

  private throttleMetrics(): ThrottleObserver {
    const throttles = new Histogram({
      name: 'kraftling_throttle_time_ms',
      help: 'Throttle times given to clients over a producer_byte_rate or consumer_byte_rate quota, in ms, by principal and kind (produce, fetch).',
      labelNames: ['principal', 'kind'],
      buckets: THROTTLE_BUCKETS_MS,
      registers: [this.registry],
    });
    return (principal, kind, throttleTimeMs) =>
      throttles.observe({ principal: principalText(principal), kind }, throttleTimeMs);
  }

  private connectionRefusalMetrics(refusals: ConnectionRefusalCounts | null): void {
    new Counter({
      name: 'kraftling_connections_refused_total',
      help: 'Connections closed on accept, by listener and reason: max_connections or max_connections_per_ip.',
      labelNames: ['listener', 'reason'],
      registers: [this.registry],
      collect() {
        this.reset();
        if (refusals === null) return;
        for (const [listener, reason, count] of refusals.entries()) this.inc({ listener, reason }, count);
      },
    });
  }

  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private raftGauges(sources: MetricsSources): void {
    const registers = [this.registry];
    const fromRaft = (name: string, help: string, value: (status: RaftStatus) => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(value(sources.raft()));
        },
      });
    fromRaft('kraftling_metadata_raft_term', 'The metadata quorum term this node is in.', (s) => s.term);
    fromRaft(
      'kraftling_metadata_raft_commit_index',
      'The metadata log index known committed here.',
      (s) => s.commit,
    );
    fromRaft('kraftling_metadata_raft_leader', '1 when this node leads the metadata quorum.', (s) =>
      s.role === 'leader' ? 1 : 0,
    );
    new Gauge({
      name: 'kraftling_metadata_offset',
      help: 'The metadata offset this node has applied to its image.',
      registers,
      collect() {
        this.set(sources.image().offset);
      },
    });
    const refused = sources.refusedPeerConnections;
    if (refused !== undefined)
      new Gauge({
        name: 'kraftling_internal_refused_connections',
        help: 'Connections the internal listeners refused since start (TLS handshake, peer preface).',
        registers,
        collect() {
          this.set(refused());
        },
      });
    new Gauge({
      name: 'kraftling_offline_partitions',
      help: 'Partitions of the cluster without a leader (Kafka: OfflinePartitionsCount).',
      registers,
      collect() {
        let offline = 0;
        for (const topic of sources.image().topics.values()) {
          for (const partition of topic.partitions.values()) if (partition.leader === NO_LEADER) offline++;
        }
        this.set(offline);
      },
    });
  }

  private partitionGauges(sources: MetricsSources): void {
    const registers = [this.registry];
    const hosted = () => sources.replicas()?.hostedPartitions() ?? [];
    new Gauge({
      name: 'kraftling_partitions',
      help: 'Partition replicas on this broker, by role.',
      labelNames: ['role'],
      registers,
      collect() {
        this.reset();
        for (const role of ['leader', 'follower', 'none'] as const) {
          this.set({ role }, hosted().filter((partition) => partition.role.kind === role).length);
        }
      },
    });
    new Gauge({
      name: 'kraftling_under_replicated_partitions',
      help: 'Partitions led here whose ISR is smaller than their replica set (Kafka: UnderReplicatedPartitions).',
      registers,
      collect() {
        this.set(
          hosted().filter((partition) => {
            const leader = partition.leader();
            return leader !== null && leader.isr.length < leader.replicas.length;
          }).length,
        );
      },
    });
    const perPartition = (
      name: string,
      help: string,
      value: (p: ReturnType<typeof hosted>[number]) => number,
    ) =>
      new Gauge({
        name,
        help,
        labelNames: ['topic', 'partition'],
        registers,
        collect() {
          this.reset();
          for (const partition of hosted()) {
            this.set(
              { topic: partition.topicName, partition: String(partition.partitionId) },
              value(partition),
            );
          }
        },
      });
    perPartition(
      'kraftling_log_end_offset',
      'The log end offset of each replica on this broker.',
      (p) => p.log.logEndOffset,
    );
    perPartition(
      'kraftling_log_start_offset',
      'The log start offset of each replica on this broker.',
      (p) => p.log.logStartOffset,
    );
    perPartition('kraftling_high_watermark', 'The high watermark of each replica on this broker.', (p) =>
      p.highWatermark(),
    );
    perPartition(
      'kraftling_log_size_bytes',
      'The bytes of each replica log on this broker.',
      (p) => p.log.sizeBytes,
    );
  }
}
