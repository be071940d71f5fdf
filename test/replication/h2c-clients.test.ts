// The internal HTTP/2 client under abort churn. undici 8.12 closed an aborted stream with NO_ERROR and
// destroyed it at once: Node then never sent the RST_STREAM, and the session spun in
// Http2Session::SendPendingData for good, the event loop wedged (the nemesis's 10 s wedges; fixed in
// undici 8.14.1, which closes with CANCEL). A wedge would hang this test past its timeout.
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { H2cClients } from '../../src/replication/h2c-clients.ts';

const servers: http2.Http2Server[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** An h2c server that answers every POST with `bytes` bytes, once the request body has come. */
async function serve(bytes: number): Promise<string> {
  const server = http2.createServer((request, response) => {
    request.on('data', () => {});
    request.on('error', () => {});
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/x-protobuf' });
      response.end(Buffer.alloc(bytes, 1));
    });
  });
  server.on('sessionError', () => {});
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('H2cClients', () => {
  it.each([
    ['large answers, aborted while they stream in', 2_000_000, 10],
    ['large request bodies, aborted while they are sent', 2, 200_000],
  ])(
    'never wedges the event loop when requests are aborted midway: %s',
    async (_name, answerBytes, bodyBytes) => {
      const address = await serve(answerBytes);
      const clients = new H2cClients();
      const body = new Uint8Array(bodyBytes);
      let answered = 0;
      let failed = 0;
      try {
        // 16 loops of 40 requests each, half of them aborted within a few milliseconds.
        await Promise.all(
          Array.from({ length: 16 }, async (_, loop) => {
            for (let i = 0; i < 40; i++) {
              const abort = new AbortController();
              if ((loop + i) % 2 === 0) setTimeout(() => abort.abort(), i % 5);
              try {
                const { bytes } = await clients.post(address, '/x', body, {
                  timeoutMs: 10_000,
                  signal: abort.signal,
                });
                expect(bytes.length).toBe(answerBytes);
                answered += 1;
              } catch {
                // Aborted, or failed with its session: the server's rapid-reset guard (CVE-2023-44487)
                // answers a burst of cancelled streams with ENHANCE_YOUR_CALM. Failing is fine; wedging
                // is not.
                failed += 1;
              }
            }
          }),
        );
      } finally {
        await clients.close();
      }
      expect(answered + failed).toBe(640);
      expect(failed).toBeGreaterThan(0);
      expect(answered).toBeGreaterThan(0);
    },
    60_000,
  );
});
