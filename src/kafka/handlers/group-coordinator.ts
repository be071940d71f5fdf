// What the group handlers share: this node's coordinator, or NOT_COORDINATOR (a client that reached a
// node that does not coordinate the group looks it up again with FindCoordinator), and the client's
// host as DescribeGroups shows it.
import { notCoordinator } from '../../groups/errors.ts';
import type { RequestContext } from '../server/api-handler.ts';
import type { KafkaBroker, LocalGroupCoordinator } from './broker-ports.ts';

export function localCoordinator(broker: KafkaBroker, groupId: string): LocalGroupCoordinator {
  const local = broker.groups.local();
  if (local === null) {
    throw notCoordinator(groupId);
  }
  return local;
}

/** The client's address without its port, as Kafka's clientHost ("/127.0.0.1"). */
export function clientHost(context: RequestContext): string {
  const colon = context.clientAddress.lastIndexOf(':');
  return `/${colon < 0 ? context.clientAddress : context.clientAddress.slice(0, colon)}`;
}
