// What makes an ACL binding storable, as Kafka's AclControlManager.validateNewAcl and kafka-acls check
// it: a principal `User:<name>` or `User:*`, a host that is an IP address or `*`, a non-empty resource
// name, PREFIXED never with the wildcard name, the CLUSTER resource named `kafka-cluster`. Used by the
// controller (a refusal), the reducer (an assertion) and the snapshot decoder (a codec error).

import { isIP } from 'node:net';
import type { AclBinding } from '../common/security.ts';
import {
  CLUSTER_RESOURCE_NAME,
  WILDCARD_HOST,
  WILDCARD_RESOURCE,
  parsePrincipal,
} from '../common/security.ts';

/** Why `binding` cannot be stored, or null. */
export function aclBindingProblem(binding: AclBinding): string | null {
  if (parsePrincipal(binding.principal) === null)
    return `The principal ${JSON.stringify(binding.principal)} is not User:<name> or User:*.`;
  if (binding.host !== WILDCARD_HOST && isIP(binding.host) === 0)
    return `The host ${JSON.stringify(binding.host)} is neither an IP address nor *.`;
  if (binding.resourceName.length === 0) return 'The resource name is empty.';
  if (binding.patternType === 'PREFIXED' && binding.resourceName === WILDCARD_RESOURCE)
    return 'A PREFIXED pattern cannot have the wildcard name *; use LITERAL *.';
  if (binding.resourceType === 'CLUSTER' && binding.resourceName !== CLUSTER_RESOURCE_NAME)
    return `The CLUSTER resource is named ${CLUSTER_RESOURCE_NAME}, not ${JSON.stringify(binding.resourceName)}.`;
  return null;
}

/** The key that tells two bindings apart: identical bindings have the same key. */
export function aclBindingKey(binding: AclBinding): string {
  return JSON.stringify([
    binding.resourceType,
    binding.resourceName,
    binding.patternType,
    binding.principal,
    binding.host,
    binding.operation,
    binding.permissionType,
  ]);
}
