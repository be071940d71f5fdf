// The node process: `npm run node -- --node-id N` (node N of the local cluster) or
// `npm run node -- --config FILE`. SIGINT/SIGTERM stop it with a controlled shutdown.
import './heap-tuning.ts';
import { pino } from 'pino';
import { ConfigError, configToProperties, describeConfig } from './config.ts';
import { DataDirError, prepareStorage } from './data-dir.ts';
import { EventLoopWatchdog } from './event-loop-watchdog.ts';
import { serializeError } from './log-errors.ts';
import { KraftNode } from './node.ts';
import { loadNodeConfig } from './node-args.ts';
import { bootstrapCredentials } from './bootstrap-credentials.ts';

/** A main thread that has not turned for this long is wedged (a session timeout and then some). */
function watchdogStallMs(sessionTimeoutMs: number): number {
  return Math.max(10_000, 2 * sessionTimeoutMs);
}

async function main(): Promise<number> {
  let loaded: ReturnType<typeof loadNodeConfig>;
  try {
    loaded = loadNodeConfig(process.argv.slice(2));
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
  if (loaded.kind === 'help') {
    process.stdout.write(`${loaded.usage}\n`);
    return 0;
  }
  const { config } = loaded;
  const logger = pino({
    level: config.logLevel,
    base: { node: config.nodeId },
    serializers: { err: serializeError },
  });
  for (const warning of loaded.warnings) logger.warn({ warning }, 'configuration warning');
  // Every setting (Kafka's "KafkaConfig values:" dump) only at debug: at info it is kilobytes per start.
  logger.debug({ config: describeConfig(config) }, 'node configuration');
  logger.info(
    {
      roles: [...config.processRoles].join(','),
      listeners: configToProperties(config).get('listeners'),
      logDirs: config.logDirs.join(','),
    },
    'node starting',
  );

  let clusterId: string;
  try {
    clusterId = await prepareStorage(config, loaded.localCluster);
  } catch (error) {
    if (error instanceof DataDirError || error instanceof ConfigError) {
      logger.fatal({ err: error }, 'cannot use the data directories');
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  }

  let node: KraftNode;
  try {
    node = await KraftNode.start({
      config,
      clusterId,
      logger,
      bootstrapScramCredentials: bootstrapCredentials(loaded.bootstrapScram),
    });
  } catch (error) {
    if (error instanceof ConfigError) {
      // A security file that is missing or does not parse (tls-material.ts).
      logger.fatal({ err: error }, 'bad configuration');
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES') {
      const { address, port } = error as NodeJS.ErrnoException & { address?: string; port?: number };
      const message = `Cannot listen on ${address}:${port} (${code}): is another node (or program) using it? Check listeners in the configuration.`;
      logger.fatal({ err: error }, message);
      process.stderr.write(`${message}\n`);
      return 1;
    }
    throw error;
  }
  EventLoopWatchdog.start({ stallMs: watchdogStallMs(config.brokerSessionTimeoutMs), intervalMs: 500 });
  return await new Promise<number>((resolve) => {
    node.onFatal((error) => {
      logger.fatal({ err: error }, 'the metadata log or the log directory failed; stopping the node');
      node.stop({ controlled: false }).finally(() => resolve(1));
    });
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'stopping with a controlled shutdown');
      node.stop({ controlled: true }).then(
        () => resolve(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

main().then(
  (code) => {
    // Exit even if a library left a handle open: the node has stopped and its data is durable.
    process.exit(code);
  },
  (error: unknown) => {
    process.stderr.write(
      `fatal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
