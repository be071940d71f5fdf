// GET /v3/clusters/{c}/brokers and GET /v3/clusters/{c}/brokers/{broker_id}.

import type { FastifyInstance } from 'fastify';
import { brokerId } from '../../metadata/ids.ts';
import { HttpError } from '../errors.ts';
import { renderBroker } from '../render/broker.ts';
import { resourceList } from '../render/resource.ts';
import { urlBuilder } from '../urls.ts';
import type { ClusterParams, RouteDeps } from './context.ts';
import { paramsSchema, parseId, readImage } from './context.ts';

interface BrokerParams extends ClusterParams {
  readonly broker_id: string;
}

export function registerBrokerRoutes(scope: FastifyInstance, deps: RouteDeps): void {
  const { node } = deps;
  scope.get<{ Params: ClusterParams }>(
    '/brokers',
    { schema: { params: paramsSchema('cluster_id') } },
    async (request) => {
      const url = urlBuilder(request);
      const brokers = [...node.image().brokers.values()].sort((a, b) => a.id - b.id);
      return resourceList(
        'KafkaBrokerList',
        url('v3', 'clusters', node.clusterId, 'brokers'),
        brokers.map((broker) => renderBroker(url, node.clusterId, broker)),
      );
    },
  );

  scope.get<{ Params: BrokerParams }>(
    '/brokers/:broker_id',
    { schema: { params: paramsSchema('cluster_id', 'broker_id') } },
    async (request) => {
      const id = parseId(request.params.broker_id);
      const broker = await readImage(deps, (image) => {
        const found = id === null ? undefined : image.brokers.get(brokerId(id));
        if (found === undefined)
          throw new HttpError('NOT_FOUND', `Broker ${request.params.broker_id} cannot be found.`);
        return found;
      });
      return renderBroker(urlBuilder(request), node.clusterId, broker);
    },
  );
}
