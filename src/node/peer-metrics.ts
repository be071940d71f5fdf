// Another broker's metrics (Prometheus text), over its inter-broker listener (GET /internal/v1/metrics),
// for the client API's cluster traffic (src/http/routes/traffic.ts).
import { KafkaError } from '../common/kafka-errors.ts';
import { METRICS_PATH } from '../http/internal-metrics-routes.ts';
import type { BrokerId } from '../metadata/ids.ts';
import type { MetadataImage } from '../metadata/image.ts';
import { H2cClients } from '../replication/h2c-clients.ts';
import type { PeerDialer } from '../../raft/transport/peer-dialer.ts';
import { brokerAddress } from './broker-address.ts';

/** A scrape that takes longer is reported as failed: the console polls every few seconds. */
const SCRAPE_TIMEOUT_MS = 2_000;

export class PeerMetrics {
  private readonly clients: H2cClients;
  private readonly image: () => MetadataImage;
  private readonly listener: string;

  constructor(options: { image: () => MetadataImage; interBrokerListener: string; dialer?: PeerDialer }) {
    this.clients = new H2cClients(options.dialer);
    this.image = options.image;
    this.listener = options.interBrokerListener;
  }

  async text(broker: BrokerId): Promise<string> {
    const address = brokerAddress(this.image(), broker, this.listener);
    if (address === null)
      throw new KafkaError('BROKER_NOT_AVAILABLE', `Broker ${broker} has no ${this.listener} endpoint.`);
    const { status, text } = await this.clients.get(address, METRICS_PATH, { timeoutMs: SCRAPE_TIMEOUT_MS });
    if (status !== 200)
      throw new KafkaError('BROKER_NOT_AVAILABLE', `Broker ${broker} answered ${status} for its metrics.`);
    return text;
  }

  close(): Promise<void> {
    return this.clients.close();
  }
}
