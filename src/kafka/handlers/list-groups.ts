// ListGroups: the groups this node coordinates (clients ask every broker and merge), filtered by state
// (version 4+, case-insensitive as Kafka) and type (5+: every group here is "classic"). Every group to
// a principal that may DESCRIBE the cluster, else only those it may DESCRIBE.
import { listGroupsApi } from '../protocol/generated/apis.ts';
import type { ListGroupsRequest } from '../protocol/generated/list-groups-request.ts';
import {
  defaultListGroupsResponse,
  type ListGroupsResponse,
} from '../protocol/generated/list-groups-response.ts';
import type { ApiHandler } from '../server/api-handler.ts';
import { clusterAllowed, groupAllowed } from './authorization.ts';
import type { KafkaBroker } from './broker-ports.ts';

const GROUP_TYPE = 'classic';

export function listGroupsHandler(broker: KafkaBroker): ApiHandler<ListGroupsRequest, ListGroupsResponse> {
  return {
    codec: listGroupsApi,
    async handle(request, context) {
      // DESCRIBE on the cluster lists every group; without it, the groups the principal may describe.
      const everyGroup = clusterAllowed(broker, context, 'DESCRIBE');
      const states = new Set(request.statesFilter.map((state) => state.toLowerCase()));
      const types = new Set(request.typesFilter.map((type) => type.toLowerCase()));
      const groups = (broker.groups.local()?.listProtocol() ?? [])
        .filter(({ groupId }) => everyGroup || groupAllowed(broker, context, 'DESCRIBE', groupId))
        .filter(({ state }) => states.size === 0 || states.has(state.toLowerCase()))
        .filter(() => types.size === 0 || types.has(GROUP_TYPE))
        .map(({ groupId, state, protocolType }) => ({
          groupId,
          protocolType,
          groupState: state,
          groupType: GROUP_TYPE,
        }));
      return { ...defaultListGroupsResponse(), groups };
    },
  };
}
