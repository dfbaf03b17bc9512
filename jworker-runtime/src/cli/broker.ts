import type { ChannelModel, ConfirmChannel } from 'amqplib';
import { tlsProblem } from '../config/amqp-url.js';
import { loadConfig } from '../config/load-config.js';
import { DEFAULTS } from '../config/normalize.js';
import type { RetryOptions, TlsOptions } from '../config/options.js';
import { errorMessage } from '../errors/message.js';
import { connectFirstReachable, inspectQueue } from '../transport/direct.js';
import { CliError, EXIT, UsageError } from './errors.js';

/** The broker settings the CLI reads from the environment, as a worker would. */
export interface CliSettings {
  readonly amqpUrl: string;
  readonly tls: TlsOptions | undefined;
  readonly retry: RetryOptions;
}

/** Reads AMQP_URL, the AMQP_*_FILE TLS files and RETRY_* (nothing else: the CLI is not a worker). */
export function cliSettings(env: Readonly<Record<string, string | undefined>>): CliSettings {
  const picked = Object.fromEntries(Object.entries(env).filter(([key]) => key.startsWith('AMQP_') || key.startsWith('RETRY_')));
  try {
    const config = loadConfig(picked);
    const amqpUrl = config.amqpUrl ?? DEFAULTS.amqpUrl;
    const tlsIssue = tlsProblem(amqpUrl, config.tls);
    if (tlsIssue) throw new Error(tlsIssue);
    return { amqpUrl, tls: config.tls, retry: config.retry ?? {} };
  } catch (error) {
    throw new UsageError(`bad environment: ${errorMessage(error)}`);
  }
}

/** A connection for one command; `close()` ends it. */
export interface CliBroker {
  readonly connection: ChannelModel;
  /** A confirm channel for gets, publishes and acks. */
  readonly channel: ConfirmChannel;
  /** Ready messages and consumers of a queue, or undefined when it does not exist (checked on a throwaway channel). */
  inspect(queue: string): Promise<{ messageCount: number; consumerCount: number } | undefined>;
  /** Like `inspect`, but a missing queue is a CliError (exit 3). */
  require(queue: string, hint: string): Promise<{ messageCount: number; consumerCount: number }>;
  close(): Promise<void>;
}

/**
 * Connects to the first reachable URL of AMQP_URL.
 * @throws CliError (exit 4) naming the URL with its password masked.
 */
export async function openBroker(settings: CliSettings, timeoutMs = 10_000): Promise<CliBroker> {
  let connection: ChannelModel;
  try {
    connection = await connectFirstReachable(settings.amqpUrl, {
      tls: settings.tls,
      timeoutMs,
      connectionName: `jworker cli pid ${process.pid}`,
    });
  } catch (error) {
    throw new CliError(
      `cannot reach RabbitMQ (${errorMessage(error)}). Check AMQP_URL, the credentials and that the broker is running.`,
      EXIT.unreachable,
    );
  }
  const channel = await connection.createConfirmChannel();
  channel.on('error', () => {});
  const inspect = (queue: string) => inspectQueue(connection, queue);
  return {
    connection,
    channel,
    inspect,
    async require(queue, hint) {
      const info = await inspect(queue);
      if (!info) throw new CliError(`no queue named "${queue}" on the broker: ${hint}`, EXIT.queueNotFound);
      return info;
    },
    async close() {
      await channel.close().catch(() => {});
      await connection.close().catch(() => {});
    },
  };
}

/** Runs `body` with a broker connection, closing it whatever happens. */
export async function withBroker<T>(settings: CliSettings, body: (broker: CliBroker) => Promise<T>): Promise<T> {
  const broker = await openBroker(settings);
  try {
    return await body(broker);
  } finally {
    await broker.close();
  }
}
