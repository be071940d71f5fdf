// DescribeAcls (29), CreateAcls (30) and DeleteAcls (31), as Kafka's AclApis over the controller: codes on
// the wire become src/common/security.ts names; a code that is not a valid value (UNKNOWN, ANY in a
// creation, MATCH outside a filter) fails its own item with INVALID_REQUEST, as Kafka's request parsing
// does. Creations and deletions go to the active controller (AdminApi); descriptions read this node's
// image. Who may call them is the authorizer's business (helper authz), not this file's.
import { KafkaError } from '../../common/kafka-errors.ts';
import type { AclBinding, AclEntry } from '../../common/security.ts';
import type { AclBindingFilter } from '../../metadata/acl-filter.ts';
import { bindingFromMessage, filterFromMessage } from '../../metadata/controller/security-rpc.ts';
import { aclBindingCodes } from '../../metadata/security-wire.ts';
import { createAclsApi, deleteAclsApi, describeAclsApi } from '../protocol/generated/apis.ts';
import type { CreateAclsRequest } from '../protocol/generated/create-acls-request.ts';
import {
  type CreateAclsResponse,
  defaultCreateAclsResponse,
} from '../protocol/generated/create-acls-response.ts';
import type { DeleteAclsFilter, DeleteAclsRequest } from '../protocol/generated/delete-acls-request.ts';
import {
  type DeleteAclsFilterResult,
  type DeleteAclsResponse,
  defaultDeleteAclsResponse,
} from '../protocol/generated/delete-acls-response.ts';
import type { DescribeAclsRequest } from '../protocol/generated/describe-acls-request.ts';
import {
  type DescribeAclsResource,
  type DescribeAclsResponse,
  defaultDescribeAclsResponse,
} from '../protocol/generated/describe-acls-response.ts';
import type { ApiHandler } from '../server/api-handler.ts';
import { clusterAllowed, clusterAuthorizationFailed, requireCluster } from './authorization.ts';
import type { KafkaBroker } from './broker-ports.ts';
import { type ErrorAnswer, errorAnswer, NONE } from './error-codes.ts';

/** A filter of the wire, or the INVALID_REQUEST KafkaError its codes give. */
function filterOf(wire: Omit<DeleteAclsFilter, 'unknownTaggedFields'>): AclBindingFilter | KafkaError {
  try {
    return filterFromMessage({
      resourceType: wire.resourceTypeFilter,
      ...(wire.resourceNameFilter !== null ? { resourceName: wire.resourceNameFilter } : {}),
      patternType: wire.patternTypeFilter,
      ...(wire.principalFilter !== null ? { principal: wire.principalFilter } : {}),
      ...(wire.hostFilter !== null ? { host: wire.hostFilter } : {}),
      operation: wire.operation,
      permissionType: wire.permissionType,
    });
  } catch (error) {
    if (error instanceof KafkaError) return error;
    throw error;
  }
}

/** DescribeAcls' answer: the matching ACLs grouped by resource pattern, in the image's order. */
function byResource(acls: readonly AclEntry[]): DescribeAclsResource[] {
  const resources = new Map<string, DescribeAclsResource>();
  for (const acl of acls) {
    const wire = aclBindingCodes(acl);
    const key = JSON.stringify([wire.resourceType, wire.resourceName, wire.patternType]);
    let resource = resources.get(key);
    if (resource === undefined) {
      resource = {
        resourceType: wire.resourceType,
        resourceName: wire.resourceName,
        patternType: wire.patternType,
        acls: [],
      };
      resources.set(key, resource);
    }
    resource.acls.push({
      principal: wire.principal,
      host: wire.host,
      operation: wire.operation,
      permissionType: wire.permissionType,
    });
  }
  return [...resources.values()];
}

export function describeAclsHandler(
  broker: KafkaBroker,
): ApiHandler<DescribeAclsRequest, DescribeAclsResponse> {
  return {
    codec: describeAclsApi,
    async handle(request, context) {
      const filter = filterOf(request);
      const response = defaultDescribeAclsResponse();
      if (filter instanceof KafkaError)
        return { ...response, errorCode: filter.code, errorMessage: filter.message };
      try {
        requireCluster(broker, context, 'DESCRIBE');
        return { ...response, resources: byResource(await broker.admin.describeAcls(filter)) };
      } catch (error) {
        const answer = errorAnswer(error, context.logger, 'describing ACLs failed');
        return { ...response, errorCode: answer.code, errorMessage: answer.message };
      }
    },
  };
}

export function createAclsHandler(broker: KafkaBroker): ApiHandler<CreateAclsRequest, CreateAclsResponse> {
  return {
    codec: createAclsApi,
    async handle(request, context) {
      if (!clusterAllowed(broker, context, 'ALTER')) {
        const refusal = clusterAuthorizationFailed('ALTER');
        return {
          ...defaultCreateAclsResponse(),
          results: request.creations.map(() => ({ errorCode: refusal.code, errorMessage: refusal.message })),
        };
      }
      const answers: (ErrorAnswer | null)[] = [];
      const bindings: AclBinding[] = [];
      const slots: number[] = [];
      request.creations.forEach((creation, index) => {
        try {
          bindings.push(
            bindingFromMessage({
              resourceType: creation.resourceType,
              resourceName: creation.resourceName,
              patternType: creation.resourcePatternType,
              principal: creation.principal,
              host: creation.host,
              operation: creation.operation,
              permissionType: creation.permissionType,
              id: '',
            }),
          );
          slots.push(index);
          answers.push(null);
        } catch (error) {
          answers.push(errorAnswer(error, context.logger, 'a bad ACL creation'));
        }
      });
      if (bindings.length > 0) {
        try {
          const errors = await broker.admin.createAcls(bindings);
          errors.forEach((error, i) => {
            if (error !== null) answers[slots[i]!] = { code: error.code, message: error.message };
          });
        } catch (error) {
          const answer = errorAnswer(error, context.logger, 'creating ACLs failed');
          for (const slot of slots) answers[slot] = answer;
        }
      }
      return {
        ...defaultCreateAclsResponse(),
        results: answers.map((answer) => ({
          errorCode: answer?.code ?? NONE,
          errorMessage: answer?.message ?? null,
        })),
      };
    },
  };
}

export function deleteAclsHandler(broker: KafkaBroker): ApiHandler<DeleteAclsRequest, DeleteAclsResponse> {
  return {
    codec: deleteAclsApi,
    async handle(request, context) {
      if (!clusterAllowed(broker, context, 'ALTER')) {
        const refusal = clusterAuthorizationFailed('ALTER');
        return {
          ...defaultDeleteAclsResponse(),
          filterResults: request.filters.map(() => ({
            errorCode: refusal.code,
            errorMessage: refusal.message,
            matchingAcls: [],
          })),
        };
      }
      const filters = request.filters.map(filterOf);
      const valid = filters.filter((filter): filter is AclBindingFilter => !(filter instanceof KafkaError));
      let deleted: AclEntry[][] = [];
      let failure: ErrorAnswer | null = null;
      if (valid.length > 0) {
        try {
          deleted = await broker.admin.deleteAcls(valid);
        } catch (error) {
          failure = errorAnswer(error, context.logger, 'deleting ACLs failed');
        }
      }
      let next = 0;
      const filterResults = filters.map((filter): DeleteAclsFilterResult => {
        if (filter instanceof KafkaError)
          return { errorCode: filter.code, errorMessage: filter.message, matchingAcls: [] };
        const matched = deleted[next++] ?? [];
        if (failure !== null)
          return { errorCode: failure.code, errorMessage: failure.message, matchingAcls: [] };
        return {
          errorCode: NONE,
          errorMessage: null,
          matchingAcls: matched.map((acl) => ({
            errorCode: NONE,
            errorMessage: null,
            ...aclBindingCodes(acl),
          })),
        };
      });
      return { ...defaultDeleteAclsResponse(), filterResults };
    },
  };
}
