// Absolute resource URLs and Confluent resource names (CRNs). As the Confluent REST Proxy (its
// UrlFactory), `metadata.self` and `related` links are absolute and built from the request itself: its
// scheme and its Host header (`:authority` over HTTP/2), so they work through whatever address the client
// used.

import type { FastifyRequest } from 'fastify';

/** Builds `${base}/seg1/seg2...` with every segment percent-encoded. */
export type UrlBuilder = (...segments: readonly (string | number)[]) => string;

function hostOf(request: FastifyRequest): string {
  const host = request.host;
  if (typeof host === 'string' && host !== '') return host;
  // HTTP/1.0 without Host: the address the connection came in on.
  const { localAddress, localPort } = request.socket;
  if (localAddress === undefined) return 'localhost';
  return localAddress.includes(':') ? `[${localAddress}]:${localPort}` : `${localAddress}:${localPort}`;
}

export function urlBuilder(request: FastifyRequest): UrlBuilder {
  const base = `${request.protocol}://${hostOf(request)}`;
  return (...segments) =>
    `${base}/${segments.map((segment) => encodeURIComponent(String(segment))).join('/')}`;
}

/** A Confluent resource name: `crn:///kafka=<cluster>/topic=<name>/...`. */
export function crn(clusterId: string, ...pairs: readonly (readonly [string, string | number])[]): string {
  return [`crn:///kafka=${clusterId}`, ...pairs.map(([type, name]) => `${type}=${name}`)].join('/');
}
