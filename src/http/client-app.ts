// The client-facing fastify app: Confluent REST Proxy v3 routes plus operations routes, one error
// handler (errors.ts) for everything. It does not listen: client-server.ts serves it on one port for
// HTTP/1.1 and h2c; tests call app.inject().

import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import Fastify, { LogController } from 'fastify';
import type { Logger } from 'pino';
import { pino } from 'pino';
import type { ClientQuotaMeter } from '../common/client-quotas.ts';
import { registerQuotaHooks } from './quota-hooks.ts';
import type { RandomInt } from '../common/partitioner.ts';
import { StickyPartitioner } from '../common/partitioner.ts';
import { ALLOW_ALL, type Authorizer, type Session } from '../common/security.ts';
import { authenticateRequest, type ClientAuthentication } from './authentication.ts';
import type { InstanceTransport } from './consumers/forwarding.ts';
import { InstanceForwarding } from './consumers/forwarding.ts';
import { CONSUMER_INSTANCE_TIMEOUT_DEFAULT_MS, ConsumerRegistry } from './consumers/registry.ts';
import { HttpError, toErrorBody } from './errors.ts';
import { parseJsonBody } from './json-body.ts';
import { PartitionSendOrder } from './records/send-order.ts';
import type { ClusterNode } from './ports.ts';
import { registerAclRoutes } from './routes/acls.ts';
import { registerBrokerRoutes } from './routes/brokers.ts';
import { registerClientQuotaRoutes } from './routes/client-quotas.ts';
import { registerClusterListRoute, registerClusterRoutes } from './routes/clusters.ts';
import { registerConfigRoutes } from './routes/configs.ts';
import { registerConsumerGroupRoutes } from './routes/consumer-groups.ts';
import type { RouteDeps } from './routes/context.ts';
import { registerNativeRoutes } from './routes/native.ts';
import { registerOperationRoutes } from './routes/operations.ts';
import { registerPartitionRecordRoutes } from './routes/partition-records.ts';
import { registerPartitionRoutes } from './routes/partitions.ts';
import { registerProducerIdRoutes } from './routes/producer-ids.ts';
import { registerQuorumRoutes } from './routes/quorum.ts';
import { registerRecordRoutes } from './routes/records.ts';
import { registerTopicRoutes } from './routes/topics.ts';
import { registerTrafficRoutes } from './routes/traffic.ts';
import { registerUserScramCredentialRoutes } from './routes/user-scram-credentials.ts';
import { registerV2ConsumerRoutes } from './routes/v2-consumers.ts';
import { registerV2MetadataRoutes } from './routes/v2-metadata.ts';
import { registerV2ProduceRoutes } from './routes/v2-produce.ts';
import { registerV2RecordRoutes } from './routes/v2-records.ts';
import { registerV2RejectionRoutes } from './routes/v2-rejections.ts';
import { registerUiRoutes } from './ui-routes.ts';
import { V2_JSON, V2_REQUEST_TYPES } from './v2/media.ts';

export interface ClientAppOptions {
  readonly node: ClusterNode;
  readonly logger?: Logger;
  /** The node's static broker config (node.properties) by Kafka name, e.g. `log.retention.ms`. */
  readonly staticTopicConfig?: ReadonlyMap<string, string>;
  /** How long a read waits to catch up with the controller before it answers 404; default 2000 ms. */
  readonly readBarrierTimeoutMs?: number;
  /** Largest accepted request body; default 1 MiB (admin requests are small). */
  readonly bodyBytesMax?: number;
  /** Largest produce request body (v3 records, v2 produce); default 16 MiB. */
  readonly recordsBodyBytesMax?: number;
  /** The random source of the sticky partitioner of keyless records (tests make it deterministic). */
  readonly partitionerRandom?: RandomInt;
  /** Wall-clock ms for records produced without a timestamp; default Date.now. */
  readonly now?: () => number;
  /** REST v2 consumer instances idle for longer are closed (Confluent's consumer.instance.timeout.ms); default 300000. */
  readonly consumerInstanceTimeoutMs?: number;
  /**
   * How this node reaches the others' client listeners to forward the requests of REST v2 consumer
   * instances they hold (consumers/forwarding.ts); closed with the app. Absent: no forwarding, an
   * instance is served only by the node that created it.
   */
  readonly consumerTransport?: InstanceTransport;
  /** Who may do what; default ALLOW_ALL (no authorizer configured). */
  readonly authorizer?: Authorizer;
  /**
   * How requests authenticate, by the CLIENT listener's security protocol (authentication.ts); absent:
   * PLAINTEXT, every request anonymous.
   */
  readonly authentication?: ClientAuthentication;
  /** Client quotas (producer_byte_rate, consumer_byte_rate); absent: nobody is throttled. */
  readonly quotas?: ClientQuotaMeter;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Who sent the request: ANONYMOUS unless it authenticated (set in an onRequest hook). */
    session: Session;
  }
}

const DEFAULT_BODY_BYTES_MAX = 1024 * 1024;

/** What acks=0 produces may hold in memory before a request waits for its own sends. */
const ACKS_ZERO_PENDING_BYTES_MAX = 32 * 1024 * 1024;

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** Topic names are up to 249 characters; find-my-way's default limit of a path parameter is 100. */
const PARAM_LENGTH_MAX = 512;

function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { status, body, unexpected } = toErrorBody(withBodyLimit(error, request));
  if (unexpected) request.log.error({ err: error, url: request.url }, 'request failed unexpectedly');
  // A readiness probe's "not yet" (the launcher polls /ready while nodes start) is an answer, not a failure.
  else if (status >= 500 && !(error instanceof HttpError && error.errorName === 'NOT_READY'))
    request.log.warn({ err: error, url: request.url }, 'request failed');
  else request.log.debug({ status, errorCode: body.error_code, url: request.url }, 'request refused');
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}

/** fastify's "Request body is too large" does not say how large a body may be: this does. */
function withBodyLimit(error: unknown, request: FastifyRequest): unknown {
  if ((error as { code?: unknown } | null)?.code !== 'FST_ERR_CTP_BODY_TOO_LARGE') return error;
  const limit = request.routeOptions.bodyLimit;
  return new HttpError(
    'PAYLOAD_TOO_LARGE',
    `Request body is too large: ${request.method} ${request.url.split('?', 1)[0]} accepts at most ` +
      `${limit} bytes (${formatBytes(limit)}).`,
  );
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}

function notFound(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const path = request.url.split('?', 1)[0] ?? request.url;
  const allowed = METHODS.filter((method) => app.findRoute({ method, url: path }) !== null);
  if (allowed.length > 0) {
    reply.header('allow', allowed.join(', '));
    return sendError(new HttpError('METHOD_NOT_ALLOWED'), request, reply);
  }
  return sendError(new HttpError('NOT_FOUND'), request, reply);
}

/** REST v2 (Confluent REST Proxy v2): its own media types in and out. */
function registerV2(
  scope: FastifyInstance,
  deps: RouteDeps,
  consumers: ConsumerRegistry,
  forwarding: InstanceForwarding | null,
): void {
  for (const type of V2_REQUEST_TYPES) {
    scope.addContentTypeParser(type, { parseAs: 'string' }, (_request, body, done) => {
      try {
        done(null, parseJsonBody(typeof body === 'string' ? body : body.toString('utf8')));
      } catch (error) {
        done(error instanceof Error ? error : new Error(String(error)), undefined);
      }
    });
  }
  // Answers (errors included) are application/vnd.kafka.v2+json unless a route chose an embedded type.
  scope.addHook('onSend', async (_request, reply, payload) => {
    const type = reply.getHeader('content-type');
    if (typeof type !== 'string' || type.startsWith('application/json')) reply.type(V2_JSON);
    return payload;
  });
  registerV2MetadataRoutes(scope, deps);
  registerV2ProduceRoutes(scope, deps);
  registerV2RecordRoutes(scope, deps);
  registerV2ConsumerRoutes(scope, deps, consumers, forwarding);
  registerV2RejectionRoutes(scope, deps, consumers, forwarding);
}

export function buildClientApp(options: ClientAppOptions): FastifyInstance {
  const loggerInstance: FastifyBaseLogger = options.logger ?? pino({ level: 'silent' });
  const app = Fastify({
    loggerInstance,
    // Refusals and failures are logged by sendError; fastify's per-request info lines are off.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyBytesMax ?? DEFAULT_BODY_BYTES_MAX,
    routerOptions: { maxParamLength: PARAM_LENGTH_MAX },
    // Bodies are checked strictly: no type coercion ("3" is not an integer), unknown fields refused.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  });
  const deps: RouteDeps = {
    node: options.node,
    staticTopicConfig: options.staticTopicConfig ?? new Map(),
    readBarrierTimeoutMs: options.readBarrierTimeoutMs ?? 2000,
    sticky: new StickyPartitioner(
      options.partitionerRandom === undefined ? {} : { random: options.partitionerRandom },
    ),
    now: options.now ?? Date.now,
    recordsBodyBytesMax: options.recordsBodyBytesMax ?? 16 * 1024 * 1024,
    sendOrder: new PartitionSendOrder(ACKS_ZERO_PENDING_BYTES_MAX),
    authorizer: options.authorizer ?? ALLOW_ALL,
  };
  // fastify wants a reference-typed decoration initialised to null; the hook below sets it on every request.
  app.decorateRequest('session', null as unknown as Session);
  const authentication = options.authentication;
  app.addHook('onRequest', async (request, reply) => {
    request.session = authenticateRequest(authentication, request, reply);
  });

  if (options.quotas !== undefined) registerQuotaHooks(app, options.quotas);

  // JSON only: any other content type of a body is 415 (fastify would also take text/plain).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(typeof body === 'string' ? body : body.toString('utf8')));
    } catch (error) {
      done(error instanceof Error ? error : new Error(String(error)), undefined);
    }
  });
  app.setErrorHandler((error, request, reply) => sendError(error, request, reply));
  app.setNotFoundHandler((request, reply) => notFound(app, request, reply));

  const consumers = new ConsumerRegistry({
    node: options.node,
    now: deps.now,
    instanceTimeoutMs: options.consumerInstanceTimeoutMs ?? CONSUMER_INSTANCE_TIMEOUT_DEFAULT_MS,
    logger: app.log,
  });
  app.addHook('onClose', async () => consumers.close());
  const transport = options.consumerTransport;
  const forwarding =
    transport === undefined
      ? null
      : new InstanceForwarding({
          node: options.node,
          holds: (groupId, instanceId) => consumers.holds(groupId, instanceId),
          transport,
          bodyBytesMax: options.bodyBytesMax ?? DEFAULT_BODY_BYTES_MAX,
          logger: app.log,
        });
  if (transport !== undefined) app.addHook('onClose', async () => transport.close());

  registerOperationRoutes(app, deps);
  registerUiRoutes(app);
  app.register(async (v2) => registerV2(v2, deps, consumers, forwarding));
  // The native API's protobuf bodies are parsed in its own scope only.
  app.register(async (native) => registerNativeRoutes(native, deps));
  registerClusterListRoute(app, deps);
  app.register(
    async (scope) => {
      scope.addHook('onRequest', async (request: FastifyRequest<{ Params: { cluster_id?: string } }>) => {
        const clusterId = request.params.cluster_id;
        if (clusterId !== deps.node.clusterId) {
          throw new HttpError('NOT_FOUND', `Cluster ${clusterId} cannot be found.`);
        }
      });
      registerClusterRoutes(scope, deps);
      registerBrokerRoutes(scope, deps);
      registerTopicRoutes(scope, deps);
      registerConfigRoutes(scope, deps);
      registerAclRoutes(scope, deps);
      registerUserScramCredentialRoutes(scope, deps);
      registerClientQuotaRoutes(scope, deps);
      registerPartitionRoutes(scope, deps);
      registerPartitionRecordRoutes(scope, deps);
      registerQuorumRoutes(scope, deps);
      registerRecordRoutes(scope, deps);
      registerProducerIdRoutes(scope, deps);
      registerConsumerGroupRoutes(scope, deps);
      registerTrafficRoutes(scope, deps);
    },
    { prefix: '/v3/clusters/:cluster_id' },
  );
  return app;
}
