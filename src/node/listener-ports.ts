// Before the launcher starts the local cluster: which of the nodes' listener ports another process
// already holds. A node that cannot bind exits at once, and restarting it fails the same way, so the
// launcher names the port and starts nothing.
import { createServer } from 'node:net';
import type { Endpoint, NodeConfig } from './config.ts';
import { formatEndpoint } from './config.ts';

export interface TakenPort {
  readonly nodeId: number;
  /** Which listener: client API, Kafka, internal, or a named listener's name. */
  readonly listener: string;
  readonly endpoint: Endpoint;
}

export type PortCheck = (endpoint: Endpoint) => Promise<boolean>;

/** Whether a listener could bind the endpoint now (it is released again at once). */
export const canBind: PortCheck = (endpoint) =>
  new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(endpoint.port, endpoint.host, () => server.close(() => resolve(true)));
  });

export async function takenListenerPorts(
  configs: readonly NodeConfig[],
  check: PortCheck = canBind,
): Promise<TakenPort[]> {
  const taken: TakenPort[] = [];
  for (const config of configs) {
    const { client, kafka, internal, named } = config.listeners;
    const listeners: [string, Endpoint][] = [
      ['client API', client],
      ...(kafka === null ? [] : [['Kafka', kafka] as [string, Endpoint]]),
      ['internal', internal],
      ...[...named].map(([name, endpoint]): [string, Endpoint] => [name, endpoint]),
    ];
    for (const [listener, endpoint] of listeners)
      if (endpoint.port !== 0 && !(await check(endpoint)))
        taken.push({ nodeId: config.nodeId, listener, endpoint });
  }
  return taken;
}

export function describeTakenPort({ nodeId, listener, endpoint }: TakenPort): string {
  return (
    `port ${endpoint.port} (node ${nodeId}'s ${listener} listener, ${formatEndpoint(endpoint)}) is already ` +
    `in use: another cluster or program listens there (\`lsof -iTCP:${endpoint.port} -sTCP:LISTEN\` shows which)`
  );
}
