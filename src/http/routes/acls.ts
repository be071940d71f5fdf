// ACLs in Confluent's v3 shape (kafka-rest AclsResource, CreateAclBatchAction):
//   GET    /v3/clusters/{c}/acls?resource_type=&resource_name=&pattern_type=&principal=&host=&operation=&permission=
//          → KafkaAclList (filter fields default to ANY; MATCH selects every pattern that applies to a name)
//   POST   /v3/clusters/{c}/acls          one ACL → 201, Location: the list filtered down to it
//   POST   /v3/clusters/{c}/acls:batch    {data: [...]} → 201
//   DELETE /v3/clusters/{c}/acls?<filter> → {data: [the deleted ACLs]}
// Enumeration values are case-insensitive, as Confluent's. A bad value is 400 / 40002 naming the field;
// a batch is validated whole before anything is created.

import { authorizeCluster } from '../authorization.ts';
import type { FastifyInstance } from 'fastify';
import type {
  AclBinding,
  AclOperation,
  AclPatternType,
  AclPermissionType,
  AclResourceType,
} from '../../common/security.ts';
import {
  ACL_OPERATIONS,
  ACL_PATTERN_TYPES,
  ACL_PERMISSION_TYPES,
  ACL_RESOURCE_TYPES,
} from '../../common/security.ts';
import type { AclBindingFilter } from '../../metadata/acl-filter.ts';
import { aclBindingProblem } from '../../metadata/acl-rules.ts';
import { HttpError } from '../errors.ts';
import { bindingQuery, compareAcls, renderAcl } from '../render/acl.ts';
import { resourceList } from '../render/resource.ts';
import { urlBuilder } from '../urls.ts';
import type { ClusterParams, RouteDeps } from './context.ts';
import { paramsSchema } from './context.ts';

type Query = Readonly<Record<string, string | string[] | undefined>>;

const FIELDS = [
  'resource_type',
  'resource_name',
  'pattern_type',
  'principal',
  'host',
  'operation',
  'permission',
];

/** `value` as a name of `table` (case-insensitive), `allowed` only; a 400 / 40002 naming `field` otherwise. */
function enumValue<T extends string>(
  field: string,
  value: unknown,
  table: Readonly<Record<string, number>>,
  allowed: (name: string) => boolean,
): T {
  const names = Object.keys(table).filter(allowed);
  const name = typeof value === 'string' ? value.toUpperCase() : '';
  if (!names.includes(name))
    throw new HttpError(
      'KAFKA_BAD_REQUEST',
      `${field} must be one of ${names.join(', ')}, not ${JSON.stringify(value ?? null)}.`,
    );
  return name as T;
}

function single(query: Query, field: string): string | undefined {
  const value = query[field];
  if (Array.isArray(value)) throw new HttpError('KAFKA_BAD_REQUEST', `${field} is given more than once.`);
  return value;
}

function filterOf(query: Query): AclBindingFilter {
  for (const key of Object.keys(query))
    if (!FIELDS.includes(key)) throw new HttpError('KAFKA_BAD_REQUEST', `Unknown query parameter ${key}.`);
  const text = (field: string): string | null => {
    const value = single(query, field);
    return value === undefined || value === '' ? null : value;
  };
  const any = (field: string) => single(query, field) ?? 'ANY';
  return {
    resourceType: enumValue(`resource_type`, any('resource_type'), ACL_RESOURCE_TYPES, () => true),
    resourceName: text('resource_name'),
    patternType: enumValue('pattern_type', any('pattern_type'), ACL_PATTERN_TYPES, () => true),
    principal: text('principal'),
    host: text('host'),
    operation: enumValue('operation', any('operation'), ACL_OPERATIONS, () => true),
    permissionType: enumValue('permission', any('permission'), ACL_PERMISSION_TYPES, () => true),
  };
}

interface CreateAclBody {
  readonly resource_type: string;
  readonly resource_name: string;
  readonly pattern_type: string;
  readonly principal: string;
  readonly host: string;
  readonly operation: string;
  readonly permission: string;
}

const createAclSchema = {
  type: 'object',
  additionalProperties: false,
  required: FIELDS,
  properties: Object.fromEntries(FIELDS.map((field) => [field, { type: 'string' }])),
} as const;

const batchSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['data'],
  properties: { data: { type: 'array', items: createAclSchema } },
} as const;

/** A binding to create, validated as Kafka's controller would (so that a batch fails before any write). */
function bindingOf(body: CreateAclBody, where: string): AclBinding {
  const notAny = (name: string) => name !== 'ANY' && name !== 'MATCH';
  const binding: AclBinding = {
    resourceType: enumValue<AclResourceType>(
      `${where}resource_type`,
      body.resource_type,
      ACL_RESOURCE_TYPES,
      notAny,
    ),
    resourceName: body.resource_name,
    patternType: enumValue<AclPatternType>(
      `${where}pattern_type`,
      body.pattern_type,
      ACL_PATTERN_TYPES,
      notAny,
    ),
    principal: body.principal,
    host: body.host,
    operation: enumValue<AclOperation>(`${where}operation`, body.operation, ACL_OPERATIONS, notAny),
    permissionType: enumValue<AclPermissionType>(
      `${where}permission`,
      body.permission,
      ACL_PERMISSION_TYPES,
      notAny,
    ),
  };
  const problem = aclBindingProblem(binding);
  if (problem !== null)
    throw new HttpError('KAFKA_BAD_REQUEST', where === '' ? problem : `${where.slice(0, -1)}: ${problem}`);
  return binding;
}

export function registerAclRoutes(scope: FastifyInstance, deps: RouteDeps): void {
  const { node } = deps;
  const params = { params: paramsSchema('cluster_id') };

  const create = async (bindings: readonly AclBinding[]): Promise<void> => {
    const errors = await node.admin.createAcls(bindings);
    const failed = errors.find((error) => error !== null);
    if (failed !== undefined && failed !== null) throw failed;
  };

  scope.get<{ Params: ClusterParams; Querystring: Query }>('/acls', { schema: params }, async (request) => {
    authorizeCluster(request, deps, 'DESCRIBE');
    const url = urlBuilder(request);
    const acls = await node.admin.describeAcls(filterOf(request.query));
    const search = new URLSearchParams(request.query as Record<string, string>).toString();
    return resourceList(
      'KafkaAclList',
      `${url('v3', 'clusters', node.clusterId, 'acls')}${search === '' ? '' : `?${search}`}`,
      [...acls].sort(compareAcls).map((acl) => renderAcl(url, node.clusterId, acl)),
    );
  });

  scope.post<{ Params: ClusterParams; Body: CreateAclBody }>(
    '/acls',
    { schema: { ...params, body: createAclSchema } },
    async (request, reply) => {
      authorizeCluster(request, deps, 'ALTER');
      const binding = bindingOf(request.body, '');
      await create([binding]);
      const location = `${urlBuilder(request)('v3', 'clusters', node.clusterId, 'acls')}?${bindingQuery(binding)}`;
      return reply.code(201).header('location', location).send();
    },
  );

  // '::' is fastify's escape of a literal ':' (Confluent's custom-method path `acls:batch`).
  scope.post<{ Params: ClusterParams; Body: { data: CreateAclBody[] } }>(
    '/acls::batch',
    { schema: { ...params, body: batchSchema } },
    async (request, reply) => {
      authorizeCluster(request, deps, 'ALTER');
      const bindings = request.body.data.map((body, index) => bindingOf(body, `data[${index}].`));
      if (bindings.length > 0) await create(bindings);
      return reply.code(201).send();
    },
  );

  scope.delete<{ Params: ClusterParams; Querystring: Query }>(
    '/acls',
    { schema: params },
    async (request) => {
      authorizeCluster(request, deps, 'ALTER');
      const url = urlBuilder(request);
      const [deleted = []] = await node.admin.deleteAcls([filterOf(request.query)]);
      return { data: [...deleted].sort(compareAcls).map((acl) => renderAcl(url, node.clusterId, acl)) };
    },
  );
}
