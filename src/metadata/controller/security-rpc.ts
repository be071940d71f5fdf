// The security admin RPCs' messages (proto/controller.proto: AclBinding, AclBindingFilter, ItemResult)
// to and from the controller's types: Kafka's numeric codes on the wire, names in TypeScript. Shared by
// the node that serves the RPCs and the one that calls them.

import { KafkaError, type KafkaErrorName, KafkaErrors } from '../../common/kafka-errors.ts';
import type {
  AclBinding,
  AclEntry,
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
import type { AclBindingFilter } from '../acl-filter.ts';
import { aclBindingCodes } from '../security-wire.ts';
import type { AclBindingFilterMessage, AclBindingMessage, ItemResultMessage } from './rpc-codec.ts';

/** The name of `code` in `table`, or a KafkaError INVALID_REQUEST naming `what`. */
export function aclCodeName<T extends string>(
  table: Readonly<Record<string, number>>,
  code: number,
  what: string,
  allowed: readonly string[],
): T {
  for (const [name, value] of Object.entries(table))
    if (value === code && allowed.includes(name)) return name as T;
  throw new KafkaError('INVALID_REQUEST', `Invalid ${what} ${code}.`);
}

const CONCRETE_RESOURCE_TYPES = Object.keys(ACL_RESOURCE_TYPES).filter((name) => name !== 'ANY');
const CONCRETE_OPERATIONS = Object.keys(ACL_OPERATIONS).filter((name) => name !== 'ANY');

export function bindingToMessage(binding: AclBinding | AclEntry): AclBindingMessage {
  return { ...aclBindingCodes(binding), id: 'id' in binding ? binding.id : '' };
}

export function bindingFromMessage(message: AclBindingMessage): AclBinding {
  return {
    resourceType: aclCodeName<AclResourceType>(
      ACL_RESOURCE_TYPES,
      message.resourceType,
      'resource type',
      CONCRETE_RESOURCE_TYPES,
    ),
    resourceName: message.resourceName,
    patternType: aclCodeName<AclPatternType>(ACL_PATTERN_TYPES, message.patternType, 'pattern type', [
      'LITERAL',
      'PREFIXED',
    ]),
    principal: message.principal,
    host: message.host,
    operation: aclCodeName<AclOperation>(ACL_OPERATIONS, message.operation, 'operation', CONCRETE_OPERATIONS),
    permissionType: aclCodeName<AclPermissionType>(
      ACL_PERMISSION_TYPES,
      message.permissionType,
      'permission type',
      ['ALLOW', 'DENY'],
    ),
  };
}

export function entryFromMessage(message: AclBindingMessage): AclEntry {
  return { id: message.id, ...bindingFromMessage(message) };
}

export function filterToMessage(filter: AclBindingFilter): AclBindingFilterMessage {
  return {
    resourceType: ACL_RESOURCE_TYPES[filter.resourceType],
    ...(filter.resourceName !== null ? { resourceName: filter.resourceName } : {}),
    patternType: ACL_PATTERN_TYPES[filter.patternType],
    ...(filter.principal !== null ? { principal: filter.principal } : {}),
    ...(filter.host !== null ? { host: filter.host } : {}),
    operation: ACL_OPERATIONS[filter.operation],
    permissionType: ACL_PERMISSION_TYPES[filter.permissionType],
  };
}

export function filterFromMessage(message: AclBindingFilterMessage): AclBindingFilter {
  return {
    resourceType: aclCodeName(
      ACL_RESOURCE_TYPES,
      message.resourceType,
      'resource type',
      Object.keys(ACL_RESOURCE_TYPES),
    ),
    resourceName: message.resourceName ?? null,
    patternType: aclCodeName(
      ACL_PATTERN_TYPES,
      message.patternType,
      'pattern type',
      Object.keys(ACL_PATTERN_TYPES),
    ),
    principal: message.principal ?? null,
    host: message.host ?? null,
    operation: aclCodeName(ACL_OPERATIONS, message.operation, 'operation', Object.keys(ACL_OPERATIONS)),
    permissionType: aclCodeName(
      ACL_PERMISSION_TYPES,
      message.permissionType,
      'permission type',
      Object.keys(ACL_PERMISSION_TYPES),
    ),
  };
}

export function itemResult(error: KafkaError | null, user = ''): ItemResultMessage {
  return error === null
    ? { errorName: '', message: '', user }
    : { errorName: error.errorName, message: error.message, user };
}

/** The KafkaError of an item's answer, or null for success (an unknown name: UNKNOWN_SERVER_ERROR). */
export function itemError(result: ItemResultMessage): KafkaError | null {
  if (result.errorName === '') return null;
  if (Object.hasOwn(KafkaErrors, result.errorName))
    return new KafkaError(result.errorName as KafkaErrorName, result.message);
  return new KafkaError('UNKNOWN_SERVER_ERROR', `${result.errorName}: ${result.message}`);
}
