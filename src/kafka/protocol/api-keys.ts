// The APIs of the Kafka listener: name, key, the versions the codecs handle (the vendored schemas'
// validVersions) and the versions it advertises in ApiVersions (ADVERTISED_VERSIONS: the one place
// they are set; every advertised API has a handler in src/kafka/handlers), with the header versions
// each uses. What the clients need of them (issue 7):
// - kafkajs 2.2 sends only non-flexible versions and takes the highest it knows within our range, so
//   each range must reach down to its versions (e.g. Produce <= 7, Fetch <= 11, Metadata <= 6).
// - librdkafka takes the highest version in the overlap: every advertised maximum must be implemented
//   in full, not only decodable (Fetch 13+ names topics by id, ListOffsets 10 is asynchronous remote
//   listing, Produce 10+ and Fetch 12+ carry leader hints).
// - @platformatic/kafka uses flexible versions almost only (Produce 7-11, Fetch 12-17, Metadata 9-12).
// - The Java client 4.x has the minimums of KIP-896 (e.g. Produce 3, Fetch 4, Metadata 0, JoinGroup 2).
// - Produce is always advertised from version 0: librdkafka before 2.11 turns compression off otherwise
//   (versions 0-2, message sets before the v2 batch format, are answered UNSUPPORTED_VERSION).
import { checkVersion } from './codec-support.ts';
import { generatedApis } from './generated/apis.ts';

export interface VersionRange {
  readonly lowest: number;
  readonly highest: number;
}

/** One row of the generated table: the codecs of one API's request and response. */
export type GeneratedApi = (typeof generatedApis)[number];

export interface KafkaApi {
  readonly name: string;
  readonly apiKey: number;
  readonly codec: GeneratedApi;
  /** The versions ApiVersions lists for this API; null for an API the listener does not offer. */
  readonly advertised: VersionRange | null;
}

/**
 * What the listener serves, by API name: the versions ApiVersions lists. An API not here (transactions,
 * KIP-848's consumer protocol: not yet) is not advertised, and a
 * request for it closes the connection, as Kafka does for an API it does not know.
 */
export const ADVERTISED_VERSIONS: ReadonlyMap<string, VersionRange> = new Map([
  ['ApiVersions', { lowest: 0, highest: 4 }],
  ['Metadata', { lowest: 0, highest: 12 }],
  ['Produce', { lowest: 0, highest: 11 }],
  ['Fetch', { lowest: 4, highest: 17 }],
  ['ListOffsets', { lowest: 1, highest: 7 }],
  ['OffsetForLeaderEpoch', { lowest: 0, highest: 4 }],
  ['CreateTopics', { lowest: 0, highest: 7 }],
  ['DeleteTopics', { lowest: 0, highest: 6 }],
  ['CreatePartitions', { lowest: 0, highest: 3 }],
  ['DescribeCluster', { lowest: 0, highest: 1 }],
  ['InitProducerId', { lowest: 0, highest: 5 }],
  ['FindCoordinator', { lowest: 0, highest: 4 }],
  ['JoinGroup', { lowest: 0, highest: 9 }],
  ['SyncGroup', { lowest: 0, highest: 5 }],
  ['Heartbeat', { lowest: 0, highest: 4 }],
  ['LeaveGroup', { lowest: 0, highest: 5 }],
  ['OffsetCommit', { lowest: 0, highest: 8 }],
  ['OffsetFetch', { lowest: 0, highest: 8 }],
  ['ListGroups', { lowest: 0, highest: 5 }],
  ['DescribeGroups', { lowest: 0, highest: 5 }],
  ['DeleteGroups', { lowest: 0, highest: 2 }],
  ['DescribeConfigs', { lowest: 0, highest: 4 }],
  ['AlterConfigs', { lowest: 0, highest: 2 }],
  ['IncrementalAlterConfigs', { lowest: 0, highest: 1 }],
  ['DeleteRecords', { lowest: 0, highest: 2 }],
  ['DescribeAcls', { lowest: 0, highest: 3 }],
  ['CreateAcls', { lowest: 0, highest: 3 }],
  ['DeleteAcls', { lowest: 0, highest: 3 }],
  ['DescribeUserScramCredentials', { lowest: 0, highest: 0 }],
  ['AlterUserScramCredentials', { lowest: 0, highest: 0 }],
  ['DescribeClientQuotas', { lowest: 0, highest: 1 }],
  ['AlterClientQuotas', { lowest: 0, highest: 1 }],
  // SASL (request-dispatch.ts answers both from the connection): advertised on every listener, as
  // Kafka does. librdkafka requires SaslHandshake v0 listed (then sends v1 and SaslAuthenticate);
  // v0's raw-token form is served too.
  ['SaslHandshake', { lowest: 0, highest: 1 }],
  ['SaslAuthenticate', { lowest: 0, highest: 2 }],
]);

export const KAFKA_APIS: readonly KafkaApi[] = generatedApis.map((codec) => ({
  name: codec.name,
  apiKey: codec.apiKey,
  codec,
  advertised: ADVERTISED_VERSIONS.get(codec.name) ?? null,
}));

/** ApiVersions' list: every advertised API and its versions, as the response's ApiVersion entries. */
export function advertisedApiVersions(): { apiKey: number; minVersion: number; maxVersion: number }[] {
  return KAFKA_APIS.flatMap((api) =>
    api.advertised === null
      ? []
      : [{ apiKey: api.apiKey, minVersion: api.advertised.lowest, maxVersion: api.advertised.highest }],
  );
}

const BY_KEY = new Map(KAFKA_APIS.map((api) => [api.apiKey, api]));

export const API_VERSIONS_KEY = 18;

/** The API of `apiKey`, or undefined for one the listener does not know (answered as Kafka does). */
export function apiByKey(apiKey: number): KafkaApi | undefined {
  return BY_KEY.get(apiKey);
}

function isFlexible(api: KafkaApi, version: number): boolean {
  checkVersion(api.name, version, api.codec.lowestVersion, api.codec.highestVersion);
  return api.codec.flexibleLowestVersion !== null && version >= api.codec.flexibleLowestVersion;
}

/**
 * The request header version of an API version (KIP-482): 2 for flexible versions, else 1 (header v0 is
 * only ControlledShutdown v0's, which the listener does not serve).
 */
export function requestHeaderVersion(api: KafkaApi, version: number): number {
  return isFlexible(api, version) ? 2 : 1;
}

/**
 * The response header version: 1 for flexible versions, else 0 — except ApiVersions, whose response
 * header is always v0 so that a client that does not yet know our versions can read it (KIP-511).
 */
export function responseHeaderVersion(api: KafkaApi, version: number): number {
  if (api.apiKey === API_VERSIONS_KEY) return 0;
  return isFlexible(api, version) ? 1 : 0;
}
