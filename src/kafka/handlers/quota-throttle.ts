// Client quotas on the Kafka protocol (KIP-219): the bytes of a Produce (its record batches) or a
// consumer's Fetch (the records answered) count against the principal's producer_byte_rate or
// consumer_byte_rate; over it, the answer carries throttle_time_ms at once and the connection is then
// not read for that long (context.throttled), as Kafka's broker mutes the channel.
import type { QuotaKind } from '../../common/client-quotas.ts';
import type { RequestContext } from '../server/api-handler.ts';
import type { KafkaBroker } from './broker-ports.ts';

/** Counts `bytes` of `kind` for the request's principal: the throttle time (0 = none). */
export function recordQuota(
  broker: KafkaBroker,
  context: RequestContext,
  kind: QuotaKind,
  bytes: number,
): number {
  const meter = broker.quotas;
  if (meter === undefined) return 0;
  const throttleTimeMs = meter.recordAndGetThrottleTimeMs(context.session.principal, kind, bytes);
  if (throttleTimeMs > 0) {
    context.logger.debug({ kind, bytes, throttleTimeMs }, 'client over its quota: throttled');
    context.throttled?.(throttleTimeMs);
  }
  return throttleTimeMs;
}
