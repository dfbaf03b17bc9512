import type { Channel, ChannelModel } from 'amqplib';
import amqplib from 'amqplib';
import { splitUrls } from '../config/amqp-url.js';
import type { TlsOptions } from '../config/options.js';
import { errorMessage } from '../errors/message.js';
import { maskCredentials } from '../log/mask.js';

/** Options of {@link connectFirstReachable}. */
export interface DirectOptions {
  readonly tls: TlsOptions | undefined;
  /** How long one node may take to accept the connection. */
  readonly timeoutMs: number;
  /** Names the connection in the RabbitMQ management UI. */
  readonly connectionName: string;
}

/** No node of AMQP_URL accepted a connection; `message` names each with why (passwords masked). */
export class UnreachableError extends Error {
  override name = 'UnreachableError' as const;
}

/**
 * A plain connection (no reconnects) to the first node of `amqpUrl` that accepts one, for short jobs: a CLI command,
 * a queue-depth scrape. The worker and TaskClient use the reconnecting manager instead (transport/connection.ts).
 * @throws UnreachableError listing every node tried.
 */
export async function connectFirstReachable(amqpUrl: string, options: DirectOptions): Promise<ChannelModel> {
  const failures: string[] = [];
  for (const url of splitUrls(amqpUrl)) {
    try {
      const connection = await amqplib.connect(url, {
        ...(options.tls as object | undefined),
        timeout: options.timeoutMs,
        clientProperties: { connection_name: options.connectionName },
      });
      connection.on('error', () => {});
      return connection;
    } catch (error) {
      failures.push(`${maskCredentials(url)}: ${maskCredentials(describe(error))}`);
    }
  }
  throw new UnreachableError(failures.join('; '));
}

/**
 * Ready messages and consumers of `queue`, or undefined when it does not exist. On a channel of its own, closed
 * after: a passive declare of a missing queue closes its channel, which must not be one anybody else uses.
 */
export async function inspectQueue(
  connection: ChannelModel,
  queue: string,
): Promise<{ messageCount: number; consumerCount: number } | undefined> {
  let probe: Channel | undefined;
  try {
    probe = await connection.createChannel();
    probe.on('error', () => {});
    const { messageCount, consumerCount } = await probe.checkQueue(queue);
    return { messageCount, consumerCount };
  } catch (error) {
    if ((error as { code?: number }).code === 404) return undefined;
    throw error;
  } finally {
    await probe?.close().catch(() => {});
  }
}

/** A connection error as one phrase: every cause of an AggregateError, or the errno code of an empty message. */
function describe(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return error.errors.map(describe).join(', ');
  if (error instanceof Error) return error.message || (error as NodeJS.ErrnoException).code || error.name;
  return errorMessage(error);
}
