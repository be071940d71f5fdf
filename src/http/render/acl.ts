// AclData (Confluent v3: kind KafkaAcl) and the query that names one ACL: `metadata.self` is the ACL
// list filtered down to exactly this binding, as Confluent's AclsResource builds it.

import type { AclBinding } from '../../common/security.ts';
import type { UrlBuilder } from '../urls.ts';
import type { ResourceMetadata } from './resource.ts';

export interface AclData {
  readonly kind: 'KafkaAcl';
  readonly metadata: ResourceMetadata;
  readonly cluster_id: string;
  readonly resource_type: string;
  readonly resource_name: string;
  readonly pattern_type: string;
  readonly principal: string;
  readonly host: string;
  readonly operation: string;
  readonly permission: string;
}

/** The query string of the ACL list filtered by every field of `fields` (Confluent's parameter names). */
export function aclQuery(fields: Readonly<Record<string, string>>): string {
  return new URLSearchParams(Object.entries(fields)).toString();
}

/** A binding's fields by Confluent's names: an ACL's body, and the filter that names it alone. */
function aclFields(binding: AclBinding) {
  return {
    resource_type: binding.resourceType,
    resource_name: binding.resourceName,
    pattern_type: binding.patternType,
    principal: binding.principal,
    host: binding.host,
    operation: binding.operation,
    permission: binding.permissionType,
  };
}

export function bindingQuery(binding: AclBinding): string {
  return aclQuery(aclFields(binding));
}

export function renderAcl(url: UrlBuilder, clusterId: string, binding: AclBinding): AclData {
  return {
    kind: 'KafkaAcl',
    metadata: {
      self: `${url('v3', 'clusters', clusterId, 'acls')}?${bindingQuery(binding)}`,
      resource_name: null,
    },
    cluster_id: clusterId,
    ...aclFields(binding),
  };
}

/** Confluent's order of an ACL list: by resource type, name, pattern type, principal, host, operation, permission. */
export function compareAcls(a: AclBinding, b: AclBinding): number {
  const left = Object.values(aclFields(a));
  const right = Object.values(aclFields(b));
  for (let i = 0; i < left.length; i++) {
    if (left[i]! < right[i]!) return -1;
    if (left[i]! > right[i]!) return 1;
  }
  return 0;
}
