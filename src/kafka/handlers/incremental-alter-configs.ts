// IncrementalAlterConfigs (KIP-339): SET, DELETE, and APPEND / SUBTRACT for list configs; keys not
// named keep their values. Rules in config-alterations.ts.
import { incrementalAlterConfigsApi } from '../protocol/generated/apis.ts';
import type { IncrementalAlterConfigsRequest } from '../protocol/generated/incremental-alter-configs-request.ts';
import {
  defaultIncrementalAlterConfigsResponse,
  type IncrementalAlterConfigsResponse,
} from '../protocol/generated/incremental-alter-configs-response.ts';
import type { ApiHandler } from '../server/api-handler.ts';
import type { KafkaBroker } from './broker-ports.ts';
import { alterResources } from './config-alterations.ts';

export function incrementalAlterConfigsHandler(
  broker: KafkaBroker,
): ApiHandler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse> {
  return {
    codec: incrementalAlterConfigsApi,
    async handle(request, context) {
      const responses = await alterResources(
        broker,
        request.resources.map((resource) => ({
          resourceType: resource.resourceType,
          resourceName: resource.resourceName,
          changes: resource.configs.map((config) => ({
            name: config.name,
            operation: config.configOperation,
            value: config.value,
          })),
        })),
        { replace: false, validateOnly: request.validateOnly, context },
      );
      return { ...defaultIncrementalAlterConfigsResponse(), responses };
    },
  };
}
