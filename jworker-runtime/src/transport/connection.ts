import type { AmqpConnectionManager } from 'amqp-connection-manager';
import amqp from 'amqp-connection-manager';
import type Logger from 'bunyan';
import { splitUrls } from '../config/amqp-url.js';
import type { TlsOptions } from '../config/options.js';
import { maskCredentials } from '../log/mask.js';

/** Delay before reconnect attempt `failures + 1`: nothing after a first loss, then 0.5 s doubling to 15 s. */
export function reconnectDelayMs(failures: number): number {
  if (failures <= 0) return 0;
  return Math.min(15_000, 500 * 2 ** (failures - 1));
}

/** How long one connection attempt (TCP, TLS and the AMQP handshake) may take before it is abandoned and retried. */
export const CONNECT_TIMEOUT_MS = 10_000;

export interface ConnectOptions {
  readonly amqpUrl: string;
  readonly heartbeatSeconds: number;
  readonly tls: TlsOptions | undefined;
  readonly logger: Logger;
  /** Names the connection in the RabbitMQ management UI. */
  readonly connectionName: string;
}

/**
 * A connection manager that reconnects for ever with backoff, logging one short line per failure
 * (URL password masked, no stack trace) instead of a crash loop.
 */
export function connect(options: ConnectOptions): AmqpConnectionManager {
  const urls = splitUrls(options.amqpUrl);
  let failures = 0;
  let wait: { timer: NodeJS.Timeout; resolve: () => void } | undefined;
  const manager = amqp.connect(urls, {
    heartbeatIntervalInSeconds: options.heartbeatSeconds,
    reconnectTimeInSeconds: 0.5,
    // Called before each connection attempt: the place to back off, since the library waits a fixed time.
    findServers: () =>
      new Promise<string[]>((resolve) => {
        const delay = reconnectDelayMs(failures);
        if (delay === 0) return resolve(urls);
        const timer = setTimeout(() => {
          wait = undefined;
          resolve(urls);
        }, delay);
        // Not unref'd: like a live connection's socket, a pending reconnect holds the process open until close().
        wait = { timer, resolve: () => resolve(urls) };
      }),
    connectionOptions: {
      // Without it, a broker that accepts the TCP connection but never finishes the AMQP handshake (a node still
      // starting after a restart) stalls reconnection for ever.
      timeout: CONNECT_TIMEOUT_MS,
      ...(options.tls as object | undefined),
      clientProperties: { connection_name: options.connectionName },
    },
  });
  manager.on('connect', ({ url }) => {
    if (failures > 0)
      options.logger.info({ url: maskCredentials(String(url)) }, 'connected to RabbitMQ after %d failed attempts', failures);
    failures = 0;
  });
  manager.on('connectFailed', ({ err, url }) => {
    failures++;
    options.logger.warn(
      { url: maskCredentials(String(url)), error: maskCredentials(String(err?.message ?? err)), attempt: failures },
      'cannot reach RabbitMQ at %s (%s); retrying in %d ms. Check AMQP_URL and that the broker is running.',
      maskCredentials(String(url)),
      maskCredentials(String(err?.message ?? err)),
      reconnectDelayMs(failures) + 500,
    );
  });
  manager.on('disconnect', ({ err }) => {
    options.logger.warn({ error: maskCredentials(String(err?.message ?? err)) }, 'disconnected from RabbitMQ; reconnecting');
  });
  manager.on('blocked', ({ reason }) => options.logger.warn({ reason }, 'RabbitMQ blocked the connection (resource alarm)'));
  manager.on('unblocked', () => options.logger.info('RabbitMQ unblocked the connection'));
  // Stop waiting in a backoff when the manager is closed.
  const close = manager.close.bind(manager);
  manager.close = async () => {
    if (wait) {
      clearTimeout(wait.timer);
      wait.resolve();
    }
    return close();
  };
  return manager;
}
