// One HTTP/2 (h2c) connection per broker origin, shared by every request to it. undici multiplexes POSTs
// on one HTTP/2 connection only for requests it may send again (`idempotent`): produces of an idempotent
// producer and fetches are (design.md §9).
import { Client } from 'undici';
import { credentialHeaders } from './credentials.ts';
import { errorFromRest } from './rest-errors.ts';
import type { ClientSecurity } from './security.ts';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export class BrokerConnections {
  readonly #clients = new Map<string, Client>();
  readonly #security: ClientSecurity;
  /** HTTP Basic of `security.credentials` on every request; nothing without credentials. */
  readonly #authorization: Readonly<Record<string, string>>;
  #closed = false;

  /** `security.tls` applies to `https://` origins (brokers whose CLIENT listener is SSL / SASL_SSL). */
  constructor(security: ClientSecurity = {}) {
    this.#security = security;
    this.#authorization = credentialHeaders(security.credentials);
  }

  /** POSTs a protobuf body; the answer's bytes, or an Error (with the status and body) for a non-200. */
  async post(
    origin: string,
    path: string,
    body: Buffer,
    timeoutMs: number,
    repeatable: boolean,
  ): Promise<Buffer> {
    const response = await this.#client(origin).request({
      method: 'POST',
      path,
      headers: { 'content-type': 'application/x-protobuf', ...this.#authorization },
      body,
      idempotent: repeatable,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const bytes = Buffer.from(await response.body.arrayBuffer());
    if (response.statusCode !== 200)
      throw new Error(
        `${origin}${path} answered ${response.statusCode}: ${bytes.toString('utf8').slice(0, 300)}`,
      );
    return bytes;
  }

  /**
   * A REST request with a JSON body (`body`; a POST without one sends `{}`); the answer's JSON, null when
   * it has none (204). An error answer throws what errorFromRest makes of it: a KafkaError where the body
   * names one (TOPIC_ALREADY_EXISTS, ...), else a RestError. Anything else thrown means no answer came.
   */
  async json(
    origin: string,
    method: HttpMethod,
    path: string,
    timeoutMs: number,
    body?: unknown,
  ): Promise<unknown> {
    const payload = body !== undefined ? JSON.stringify(body) : method === 'POST' ? '{}' : null;
    const response = await this.#client(origin).request({
      method,
      path,
      // A content type without a body is refused by the server (an empty JSON body), so only with one.
      headers:
        payload === null
          ? { accept: 'application/json', ...this.#authorization }
          : { accept: 'application/json', 'content-type': 'application/json', ...this.#authorization },
      body: payload,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const text = await response.body.text();
    if (response.statusCode >= 300)
      throw errorFromRest(response.statusCode, text, `${method} ${origin}${path}`);
    return text === '' ? null : (JSON.parse(text) as unknown);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#clients.values()].map((client) => client.close().catch(() => undefined)));
    this.#clients.clear();
  }

  #client(origin: string): Client {
    if (this.#closed) throw new Error('the client is closed');
    let client = this.#clients.get(origin);
    if (client === undefined || client.destroyed || client.closed) {
      const tls = this.#security.tls;
      client = new Client(origin, {
        allowH2: true,
        // Fetch answers (up to fetch.max.bytes) in one flight, not in undici's 256 KiB / 512 KiB window steps.
        h2Options: {
          useH2c: true,
          settings: { initialWindowSize: 4 * 1024 * 1024 },
          connectionWindowSize: 32 * 1024 * 1024,
        },
        connectTimeout: 5_000,
        ...(tls !== undefined && origin.startsWith('https:') ? { connect: { ...tls } } : {}),
      });
      this.#clients.set(origin, client);
    }
    return client;
  }
}
