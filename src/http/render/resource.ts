// The envelope of every Confluent v3 resource and collection (api/v3/openapi.yaml: Resource,
// ResourceMetadata, ResourceCollection, ResourceCollectionMetadata, Relationship).

export interface Relationship {
  readonly related: string;
}

export interface ResourceMetadata {
  readonly self: string;
  readonly resource_name: string | null;
}

export interface CollectionMetadata {
  readonly self: string;
  /** The next page; this API never pages, so always null. */
  readonly next: string | null;
}

export interface ResourceList<T> {
  readonly kind: string;
  readonly metadata: CollectionMetadata;
  readonly data: readonly T[];
}

export function related(url: string): Relationship {
  return { related: url };
}

export function resourceList<T>(kind: string, self: string, data: readonly T[]): ResourceList<T> {
  return { kind, metadata: { self, next: null }, data };
}
