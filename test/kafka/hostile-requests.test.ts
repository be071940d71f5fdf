// Any well-framed request a client may send, at every advertised version of every API, with any values
// its fields allow (schema-arbitraries.ts): the node answers it with a response its version can carry,
// never closes the connection for it (a handler's unexpected error does: a bug) and never hangs longer
// than the request itself asks to wait. Only a Produce with acks=0 gets no answer, and one that fails
// closes the connection, as Kafka does.
import { anonymousSession } from '../../src/common/security.ts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadMessageSchemas } from '../../scripts/kafka-protocol/schema.ts';
import { ADVERTISED_VERSIONS, apiByKey } from '../../src/kafka/protocol/api-keys.ts';
import type { ApiCodec } from '../../src/kafka/protocol/codec-support.ts';
import { decodeResponseFrame, requestFrame, silent } from './exchange.ts';
import { servedFakeBroker } from './fake-broker.ts';
import { fcParameters, messageArbitrary } from './schema-arbitraries.ts';

/** How long an answer may take: every wait a request may ask for is capped below it (see `bounded`). */
const ANSWER_WITHIN_MS = 5_000;
/** APIs whose answer may wait for other clients (a rebalance, a leader's assignment): not a hang. */
const MAY_WAIT = new Set(['JoinGroup', 'SyncGroup']);

/** Caps the waits a request asks for, so that a long poll is not taken for a hang. */
function bounded(api: string, request: Record<string, unknown>): Record<string, unknown> {
  if (api === 'Fetch') return { ...request, maxWaitMs: Math.min(Number(request.maxWaitMs), 20) };
  if (api === 'Produce' || api === 'CreateTopics' || api === 'DeleteTopics' || api === 'CreatePartitions') {
    return { ...request, timeoutMs: Math.min(Number(request.timeoutMs ?? 0), 100) };
  }
  return request;
}

const requests = loadMessageSchemas().filter(
  (message) => message.kind === 'request' && message.apiKey !== null,
);

describe('hostile but well-framed requests', () => {
  for (const message of requests) {
    const api = apiByKey(message.apiKey!)!;
    const advertised = ADVERTISED_VERSIONS.get(api.name);
    if (advertised === undefined) continue;
    it(`${api.name} v${advertised.lowest}-${advertised.highest}: always answered, never a closed connection or a hang`, async () => {
      const { dispatcher } = await servedFakeBroker({ partitions: 2, replicationFactor: 1 });
      const versions = fc.integer({ min: advertised.lowest, max: advertised.highest });
      const arbitrary = versions.chain((version) =>
        messageArbitrary(message, version).map((request) => ({ version, request })),
      );
      let correlationId = 0;
      await fc.assert(
        fc.asyncProperty(arbitrary, async ({ version, request }) => {
          // The codec of this API: its request type is the arbitrary's (the schema it was built from).
          const codec = api.codec as ApiCodec<unknown, unknown>;
          const frame = requestFrame(codec, version, bounded(api.name, request), ++correlationId);
          let timer: NodeJS.Timeout | undefined;
          const timedOut = new Promise<'timeout'>((resolve) => {
            timer = setTimeout(() => resolve('timeout'), ANSWER_WITHIN_MS);
          });
          const outcome = await Promise.race([
            dispatcher.dispatch(frame, {
              address: 'fuzz:1',
              session: anonymousSession('127.0.0.1'),
              logger: silent,
            }),
            timedOut,
          ]);
          clearTimeout(timer);
          if (outcome === 'timeout') {
            expect(
              MAY_WAIT.has(api.name),
              `${api.name} v${version} did not answer within ${ANSWER_WITHIN_MS} ms`,
            ).toBe(true);
            return;
          }
          const acksZero = api.name === 'Produce' && request.acks === 0;
          if (outcome.kind === 'none') {
            expect(acksZero, `${api.name} v${version} gave no answer`).toBe(true);
            return;
          }
          if (outcome.kind === 'close') {
            // Produce v0-2 (message sets before v2 batches) is answered UNSUPPORTED_VERSION, never closed.
            expect(acksZero, `${api.name} v${version} closed the connection: ${outcome.reason}`).toBe(true);
            return;
          }
          const decoded = decodeResponseFrame(codec, version, outcome.frame);
          expect(decoded.correlationId).toBe(correlationId);
        }),
        fcParameters(40),
      );
    }, 120_000);
  }
});
