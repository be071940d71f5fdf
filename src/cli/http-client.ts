// A small client of the REST v3 API for the command-line tools. It takes Kafka's --bootstrap-server
// list, talks HTTP/1.1 over undici, and turns every failure into a CliError carrying the server's
// message. Fail-over is deliberately narrow: it moves to the next bootstrap server only when a
// connection could not be established, i.e. when the request certainly never reached a server. A
// connection that breaks after the request went out is not retried: a create or delete may have been
// applied, and sending it again elsewhere would report a misleading "already exists".

import { Agent, request } from 'undici';
import { credentialHeaders } from '../client/credentials.ts';
import type { ClientSecurity } from '../client/security.ts';
import { CliError, UsageError } from './errors.ts';
import { listData, stringField } from './json.ts';

/** node 1 of `npm run cluster` (design §1). */
export const DEFAULT_BOOTSTRAP_SERVER = '127.0.0.1:8081';
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** Errors raised before a request could be sent: safe to try the next server. */
const CONNECT_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const TIMEOUT_ERROR_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

export interface RestClientOptions {
  /** Kafka's `--bootstrap-server`: `host:port[,host:port...]`; `http://` or `https://` may prefix one. */
  readonly bootstrapServers: string;
  /** The scheme of servers given without one (https with --command-config security.protocol=SSL). */
  readonly defaultScheme?: 'http' | 'https';
  /** TLS options for https servers (the CA, a client certificate). */
  readonly security?: ClientSecurity;
  readonly connectTimeoutMs?: number;
  /** Longest wait for response headers and between body chunks. */
  readonly requestTimeoutMs?: number;
}

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** Per-request options of `RestClient.send`. */
export interface SendOptions {
  /** The Accept header; default application/json (REST v2 reads ask for an embedded format). */
  readonly accept?: string;
  /** Aborts the request (e.g. a long poll when a console consumer stops); it then rejects. */
  readonly signal?: AbortSignal;
}

/**
 * Parses a bootstrap server list into base URLs ("http://host:port"). Like Kafka's client, every
 * entry needs a host and a port.
 */
export function parseBootstrapServers(spec: string, defaultScheme: 'http' | 'https' = 'http'): string[] {
  const entries = spec
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  if (entries.length === 0) throw new UsageError('No resolvable bootstrap urls given in bootstrap.servers');
  return entries.map((entry) => {
    const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(entry) ? entry : `${defaultScheme}://${entry}`;
    let url: URL;
    try {
      url = new URL(withScheme);
    } catch {
      throw new UsageError(`Invalid url in bootstrap.servers: ${entry}`);
    }
    const explicitPort = url.port !== '' || /:\d+\/?$/.test(withScheme);
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '' || !explicitPort) {
      throw new UsageError(`Invalid url in bootstrap.servers: ${entry}`);
    }
    return `${url.protocol}//${url.host}`;
  });
}

function errorCodeOf(error: unknown): string | null {
  // undici wraps system errors; look down the cause chain.
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    const code = (current as Error & { code?: unknown }).code;
    if (typeof code === 'string' && (CONNECT_ERROR_CODES.has(code) || TIMEOUT_ERROR_CODES.has(code))) {
      return code;
    }
    current = current.cause;
  }
  const code = error instanceof Error ? (error as Error & { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : null;
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message || (errorCodeOf(error) ?? error.name) : String(error);
}

/** The part of an address a person typed: "127.0.0.1:8081" for "http://127.0.0.1:8081". */
export function displayAddress(baseUrl: string): string {
  return baseUrl.replace(/^http:\/\//, '');
}

export class RestClient {
  readonly baseUrls: readonly string[];
  readonly #agent: Agent;
  /** HTTP Basic of `security.credentials` (--command-config's SASL user), on every request. */
  readonly #authorization: Readonly<Record<string, string>>;
  /** The server that last answered; requests start there. */
  #current = 0;
  #clusterId: string | null = null;

  constructor(options: RestClientOptions) {
    this.baseUrls = parseBootstrapServers(options.bootstrapServers, options.defaultScheme);
    const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.#authorization = credentialHeaders(options.security?.credentials);
    this.#agent = new Agent({
      connect: { timeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, ...options.security?.tls },
      headersTimeout: requestTimeoutMs,
      bodyTimeout: requestTimeoutMs,
    });
  }

  /** The base URL of the server currently in use. */
  get currentServer(): string {
    return this.baseUrls[this.#current]!;
  }

  /** The cluster's id, from `GET /v3/clusters` (asked once). */
  async clusterId(): Promise<string> {
    if (this.#clusterId === null) {
      const clusters = listData(await this.get('/v3/clusters'), 'GET /v3/clusters');
      const first = clusters[0];
      if (first === undefined) throw new CliError('response', 'The server reported no cluster');
      this.#clusterId = stringField(first, 'cluster_id', 'GET /v3/clusters');
    }
    return this.#clusterId;
  }

  /** `/v3/clusters/{cluster_id}` followed by `suffix`. */
  async clusterPath(suffix = ''): Promise<string> {
    return `/v3/clusters/${encodeURIComponent(await this.clusterId())}${suffix}`;
  }

  get(path: string): Promise<unknown> {
    return this.send('GET', path);
  }

  /**
   * Sends one request; resolves to the parsed JSON body (null when there is none, e.g. 204). An error
   * status becomes CliError('server') with the server's `message` and `error_code`.
   */
  async send(method: HttpMethod, path: string, body?: unknown, options: SendOptions = {}): Promise<unknown> {
    const failures: string[] = [];
    for (let attempt = 0; attempt < this.baseUrls.length; attempt++) {
      const index = (this.#current + attempt) % this.baseUrls.length;
      const baseUrl = this.baseUrls[index]!;
      try {
        const result = await this.#sendTo(baseUrl, method, path, body, options);
        this.#current = index;
        return result;
      } catch (error) {
        if (error instanceof CliError) throw error;
        const code = errorCodeOf(error);
        if (code !== null && TIMEOUT_ERROR_CODES.has(code)) {
          throw new CliError(
            'timeout',
            `Timed out waiting for ${displayAddress(baseUrl)} to answer ${method} ${path}`,
            {
              cause: error,
            },
          );
        }
        if (code === null || !CONNECT_ERROR_CODES.has(code)) {
          // A TLS listener closes a plain-text request unanswered: say what is likely wrong.
          const hint =
            baseUrl.startsWith('http://') && code === 'UND_ERR_SOCKET'
              ? ' (if the listener is TLS, give --command-config with security.protocol=SSL or SASL_SSL)'
              : '';
          throw new CliError(
            'connection',
            `Connection to ${displayAddress(baseUrl)} failed during ${method} ${path}: ${describeError(error)}${hint}`,
            { cause: error },
          );
        }
        failures.push(`${displayAddress(baseUrl)} (${describeError(error)})`);
      }
    }
    throw new CliError('connection', `Could not connect to any bootstrap server: ${failures.join(', ')}`);
  }

  async #sendTo(
    baseUrl: string,
    method: HttpMethod,
    path: string,
    body: unknown,
    options: SendOptions,
  ): Promise<unknown> {
    const headers: Record<string, string> = { accept: options.accept ?? 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    Object.assign(headers, this.#authorization);
    const response = await request(`${baseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      dispatcher: this.#agent,
      ...(options.signal !== undefined && { signal: options.signal }),
    });
    const text = await response.body.text();
    const parsed = parseJson(text);
    if (response.statusCode >= 200 && response.statusCode < 300) {
      if (parsed === invalidJson) {
        throw new CliError(
          'response',
          `Unexpected response from the server: ${method} ${path} did not answer JSON`,
        );
      }
      return parsed;
    }
    throw serverError(response.statusCode, parsed, text, `${method} ${path}`);
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }
}

const invalidJson = Symbol('invalid JSON');

function parseJson(text: string): unknown {
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return invalidJson;
  }
}

function serverError(status: number, parsed: unknown, text: string, what: string): CliError {
  let message: string | null = null;
  let errorCode: number | null = null;
  if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
    const fields = parsed as { message?: unknown; error_code?: unknown };
    if (typeof fields.message === 'string' && fields.message !== '') message = fields.message;
    if (typeof fields.error_code === 'number') errorCode = fields.error_code;
  }
  if (message === null) {
    const snippet = text.trim().slice(0, 200);
    message = `${what} failed with HTTP ${status}${snippet === '' ? '' : `: ${snippet}`}`;
  }
  return new CliError('server', message, { status, errorCode });
}
