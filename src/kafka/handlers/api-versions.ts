// ApiVersions: the APIs this listener serves and their advertised versions (api-keys.ts). A request at
// a version the listener does not know is answered by the dispatcher in v0's format (KIP-511).
import { advertisedApiVersions } from '../protocol/api-keys.ts';
import { apiVersionsApi } from '../protocol/generated/apis.ts';
import type { ApiVersionsRequest } from '../protocol/generated/api-versions-request.ts';
import {
  type ApiVersionsResponse,
  defaultApiVersionsResponse,
} from '../protocol/generated/api-versions-response.ts';
import type { ApiHandler } from '../server/api-handler.ts';

export function apiVersionsHandler(): ApiHandler<ApiVersionsRequest, ApiVersionsResponse> {
  return {
    codec: apiVersionsApi,
    handle: async () => ({ ...defaultApiVersionsResponse(), apiKeys: advertisedApiVersions() }),
  };
}
