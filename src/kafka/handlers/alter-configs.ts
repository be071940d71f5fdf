// AlterConfigs (the legacy API): each resource's configs become its whole dynamic set, as Kafka's
// controller does (an override not listed goes back to its default). Rules in config-alterations.ts.
import { alterConfigsApi } from '../protocol/generated/apis.ts';
import type { AlterConfigsRequest } from '../protocol/generated/alter-configs-request.ts';
import {
  type AlterConfigsResponse,
  defaultAlterConfigsResponse,
} from '../protocol/generated/alter-configs-response.ts';
import type { ApiHandler } from '../server/api-handler.ts';
import type { KafkaBroker } from './broker-ports.ts';
import { alterResources, SET } from './config-alterations.ts';

export function alterConfigsHandler(
  broker: KafkaBroker,
): ApiHandler<AlterConfigsRequest, AlterConfigsResponse> {
  return {
    codec: alterConfigsApi,
    async handle(request, context) {
      const responses = await alterResources(
        broker,
        request.resources.map((resource) => ({
          resourceType: resource.resourceType,
          resourceName: resource.resourceName,
          changes: resource.configs.map((config) => ({
            name: config.name,
            operation: SET,
            value: config.value,
          })),
        })),
        { replace: true, validateOnly: request.validateOnly, context },
      );
      return { ...defaultAlterConfigsResponse(), responses };
    },
  };
}
