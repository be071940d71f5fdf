// Client quotas on the client API (REST v2, v3 and the native API): a produce's request body counts
// against the principal's producer_byte_rate, a read's response body against its consumer_byte_rate.
// These clients read no throttle field, so over the quota the answer is delayed by the throttle time
// (what Kafka brokers did before KIP-219) and says so in X-Kafka-Throttle-Time-Ms (ours), which every
// metered answer carries while the principal has a quota. Which routes are metered is listed here, by
// route pattern, so that the routes themselves know nothing of quotas.
import { Transform } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ClientQuotaMeter, QuotaKind } from '../common/client-quotas.ts';

export const THROTTLE_TIME_HEADER = 'x-kafka-throttle-time-ms';

const V3 = '/v3/clusters/:cluster_id';

/** Metered routes: "METHOD pattern" as fastify names a route, to the kind of bytes it moves. */
export const METERED_ROUTES: ReadonlyMap<string, QuotaKind> = new Map([
  // Produce: REST v2, v3 (streamed and batch), native.
  ['POST /topics/:topic_name', 'produce'],
  ['POST /topics/:topic_name/partitions/:partition_id', 'produce'],
  [`POST ${V3}/topics/:topic_name/records`, 'produce'],
  [`POST ${V3}/topics/:topic_name/records::batch`, 'produce'],
  ['POST /v1/produce', 'produce'],
  // Reads: REST v2 (by partition, by consumer instance), v3 partition records, native fetch.
  ['GET /topics/:topic_name/partitions/:partition_id/records', 'fetch'],
  ['GET /consumers/:group_name/instances/:instance/records', 'fetch'],
  [`GET ${V3}/topics/:topic_name/partitions/:partition_id/records`, 'fetch'],
  ['POST /v1/fetch', 'fetch'],
]);

function meteredKind(request: FastifyRequest): QuotaKind | null {
  return METERED_ROUTES.get(`${request.method} ${request.routeOptions.url ?? ''}`) ?? null;
}

/** The bytes a body stream carried, counted as the body parser reads it. */
const requestBytes = new WeakMap<FastifyRequest, { bytes: number }>();

function payloadBytes(payload: unknown): number {
  if (typeof payload === 'string') return Buffer.byteLength(payload);
  if (payload instanceof Uint8Array) return payload.length;
  // A streamed answer (none of the metered routes streams today) is not counted.
  return 0;
}

export function registerQuotaHooks(app: FastifyInstance, meter: ClientQuotaMeter): void {
  app.addHook('preParsing', async (request, _reply, payload) => {
    // Counting costs a stream per body: only for a principal with a producer quota (the session is
    // known: authentication runs in onRequest, before this).
    if (meteredKind(request) !== 'produce') return payload;
    if (meter.maxBytesInQuotaWindow(request.session.principal, 'produce') === null) return payload;
    const counted = { bytes: 0 };
    requestBytes.set(request, counted);
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        counted.bytes += chunk.length;
        done(null, chunk);
      },
    });
    payload.on('error', (error) => counter.destroy(error));
    // fastify's body limit reads receivedEncodedLength off the stream it is given.
    return payload.pipe(counter);
  });
  app.addHook('onSend', async (request, reply, payload) => {
    const kind = meteredKind(request);
    if (kind === null) return payload;
    const principal = request.session.principal;
    if (meter.maxBytesInQuotaWindow(principal, kind) === null) return payload;
    // A produce whose quota appeared while its body was read was not counted: its Content-Length is.
    const bytes =
      kind === 'produce'
        ? (requestBytes.get(request)?.bytes ?? (Number(request.headers['content-length']) || 0))
        : payloadBytes(payload);
    const throttleTimeMs = meter.recordAndGetThrottleTimeMs(principal, kind, bytes);
    reply.header(THROTTLE_TIME_HEADER, String(throttleTimeMs));
    if (throttleTimeMs > 0) {
      request.log.debug({ kind, bytes, throttleTimeMs }, 'client over its quota: answer delayed');
      await sleep(throttleTimeMs, undefined, { ref: false });
    }
    return payload;
  });
}
