// How a node dials another node's internal listener: one undici Client per address, over h2c (plain)
// or TLS with ALPN h2 (this node's certificate as client certificate, the cluster CA as trust), and,
// when security is configured, the peer preface (peer-preface.ts) written first on every connection.
// Every internal dialer (Raft, controller RPCs, replication, forwarded requests, group RPCs, metrics)
// takes its clients from one PeerDialer, so they all speak alike.

import type { ConnectionOptions } from 'node:tls';
import { buildConnector, Client } from 'undici';

export interface PeerClientOptions {
  readonly connectTimeoutMs: number;
  readonly headersTimeoutMs?: number;
  readonly bodyTimeoutMs?: number;
}

export interface PeerDialer {
  /** A new client for "host:port" (callers cache and close it). */
  client(address: string, options: PeerClientOptions): Client;
}

export interface PeerDialerOptions {
  /** TLS client options (ca, cert, key, ...); null = h2c. */
  readonly tls: ConnectionOptions | null;
  /** A fresh preface line per connection; null = none (plain and no secret: today's dialing). */
  readonly preface: (() => string) | null;
}

function timeouts(options: PeerClientOptions): { headersTimeout?: number; bodyTimeout?: number } {
  return {
    ...(options.headersTimeoutMs !== undefined ? { headersTimeout: options.headersTimeoutMs } : {}),
    ...(options.bodyTimeoutMs !== undefined ? { bodyTimeout: options.bodyTimeoutMs } : {}),
  };
}

/**
 * What a node receives on one stream, and on one connection, before it must send a WINDOW_UPDATE:
 * replication fetch answers (up to replica.fetch.max.bytes) and forwarded answers come in one flight
 * rather than in undici's 256 KiB / 512 KiB steps.
 */
const H2_WINDOWS = {
  settings: { initialWindowSize: 4 * 1024 * 1024 },
  connectionWindowSize: 32 * 1024 * 1024,
} as const;

/** Today's dialing: h2c, nothing before the HTTP/2 connection preface. */
export const PLAIN_PEER_DIALER: PeerDialer = {
  client: (address, options) =>
    new Client(`http://${address}`, {
      allowH2: true,
      h2Options: { useH2c: true, ...H2_WINDOWS },
      connectTimeout: options.connectTimeoutMs,
      ...timeouts(options),
    }),
};

export function peerDialer(options: PeerDialerOptions): PeerDialer {
  const { tls, preface } = options;
  if (tls === null && preface === null) return PLAIN_PEER_DIALER;
  return {
    client: (address, clientOptions) => {
      const base = buildConnector({
        ...(tls ?? {}),
        allowH2: true,
        ...(tls === null ? { useH2c: true } : {}),
        timeout: clientOptions.connectTimeoutMs,
      });
      return new Client(`${tls === null ? 'http' : 'https'}://${address}`, {
        allowH2: true,
        h2Options: { ...(tls === null ? { useH2c: true } : {}), ...H2_WINDOWS },
        ...timeouts(clientOptions),
        // Connected (and, with TLS, the handshake done): the preface goes first, then HTTP/2.
        connect: (connectOptions, callback) =>
          base(connectOptions, (error, socket) => {
            if (error !== null) {
              callback(error, null);
              return;
            }
            if (preface === null) {
              callback(null, socket);
              return;
            }
            // HTTP/2 takes the socket only once the preface is written: node's http2 session must not
            // find a write of someone else's in progress on a TLS socket (it asserts).
            socket.write(preface(), (writeError) => {
              if (writeError) callback(writeError, null);
              else callback(null, socket);
            });
          }),
      });
    },
  };
}
