// Kafka's AclBindingFilter: what DescribeAcls lists and DeleteAcls removes. Any field may be a wildcard
// (ANY, or null for names, principals and hosts); the pattern type MATCH selects every pattern that
// would apply to the named resource (the LITERAL name, LITERAL `*`, PREFIXED prefixes of the name), as
// Kafka's ResourcePatternFilter.matches does.

import type {
  AclBinding,
  AclOperation,
  AclPatternType,
  AclPermissionType,
  AclResourceType,
} from '../common/security.ts';
import { WILDCARD_RESOURCE } from '../common/security.ts';

export interface AclBindingFilter {
  readonly resourceType: AclResourceType | 'ANY';
  /** null = any name. */
  readonly resourceName: string | null;
  readonly patternType: AclPatternType | 'ANY' | 'MATCH';
  /** null = any principal. */
  readonly principal: string | null;
  /** null = any host. */
  readonly host: string | null;
  readonly operation: AclOperation | 'ANY';
  readonly permissionType: AclPermissionType | 'ANY';
}

/** The filter that matches every ACL. */
export const ANY_ACL: AclBindingFilter = {
  resourceType: 'ANY',
  resourceName: null,
  patternType: 'ANY',
  principal: null,
  host: null,
  operation: 'ANY',
  permissionType: 'ANY',
};

function patternMatches(filter: AclBindingFilter, binding: AclBinding): boolean {
  if (filter.resourceType !== 'ANY' && filter.resourceType !== binding.resourceType) return false;
  if (
    filter.patternType !== 'ANY' &&
    filter.patternType !== 'MATCH' &&
    filter.patternType !== binding.patternType
  )
    return false;
  const name = filter.resourceName;
  if (name === null) return true;
  if (filter.patternType !== 'MATCH') return name === binding.resourceName;
  return binding.patternType === 'LITERAL'
    ? name === binding.resourceName || binding.resourceName === WILDCARD_RESOURCE
    : name.startsWith(binding.resourceName);
}

export function aclFilterMatches(filter: AclBindingFilter, binding: AclBinding): boolean {
  return (
    patternMatches(filter, binding) &&
    (filter.principal === null || filter.principal === binding.principal) &&
    (filter.host === null || filter.host === binding.host) &&
    (filter.operation === 'ANY' || filter.operation === binding.operation) &&
    (filter.permissionType === 'ANY' || filter.permissionType === binding.permissionType)
  );
}
