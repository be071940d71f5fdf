// ApiVersions: the APIs this listener serves and their advertised versions (api-keys.ts). A request at
// a version the listener does not know is answered by the dispatcher in v0's format (KIP-511).
import { KAFKA_APIS } from '../protocol/api-keys.ts';
import { apiVersionsApi } from '../protocol/generated/apis.ts';
import type { ApiVersion, ApiVersionsResponse } from '../protocol/generated/api-versions-response.ts';
import { defaultApiVersionsResponse } from '../protocol/generated/api-versions-response.ts';
import type { ApiVersionsRequest } from '../protocol/generated/api-versions-request.ts';
import type { ApiHandler } from '../server/api-handler.ts';

export function advertisedApiVersions(): ApiVersion[] {
  return KAFKA_APIS.flatMap((api) =>
    api.advertised === null
      ? []
      : [{ apiKey: api.apiKey, minVersion: api.advertised.lowest, maxVersion: api.advertised.highest }],
  );
}

export function apiVersionsHandler(): ApiHandler<ApiVersionsRequest, ApiVersionsResponse> {
  return {
    codec: apiVersionsApi,
    handle: async () => ({ ...defaultApiVersionsResponse(), apiKeys: advertisedApiVersions() }),
  };
}
