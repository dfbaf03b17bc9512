import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Logger from 'bunyan';
import type { TlsOptions } from '../config/options.js';
import { DELAY_BUCKETS_MS } from '../wire/delay.js';
import { queueNames } from '../wire/names.js';
import { type TopologyOptions, topology } from '../wire/topology.js';
import { type HealthAnswer, liveness, readiness } from './health.js';
import { QueueDepthProbe } from './queue-depth.js';
import { createWorkerMetrics, type MetricsSource } from './registry.js';

/** Options of {@link startMetricsServer}: where to listen, and the worker's queues (to read their depths). */
export interface MetricsServerOptions extends TopologyOptions {
  /** The port; 0 picks a free one (read it back from `port`). */
  readonly port: number;
  readonly host: string;
  readonly logger: Logger;
  readonly workerType: string;
  /** For the queue-depth probe's own connection. */
  readonly amqpUrl: string;
  readonly tls: TlsOptions | undefined;
}

/** A running metrics server. */
export interface MetricsServer {
  /** The port the server is bound to. */
  readonly port: number;
  /** Stops serving, stops listening to the worker and closes the queue-depth connection. Idempotent. */
  close(): Promise<void>;
}

/**
 * Serves `/metrics` (Prometheus text), `/healthz` (liveness) and `/readyz` (readiness) for one worker, read through
 * `source` (its events, state and counters). Started by BaseWorker once its configuration is resolved.
 */
export async function startMetricsServer(source: MetricsSource, options: MetricsServerOptions): Promise<MetricsServer> {
  const { workerType, queue } = options;
  const names = queueNames(queue);
  const probe = new QueueDepthProbe({
    amqpUrl: options.amqpUrl,
    tls: options.tls,
    work: names.work,
    dead: names.dead,
    retry: topology(options)
      .map((spec) => spec.name)
      .filter((name) => name !== names.work && name !== names.dead),
    delay: DELAY_BUCKETS_MS.map((bucket) => names.delay(bucket)),
    logger: options.logger,
    connectionName: `jworker metrics ${workerType} ${queue} pid ${process.pid}`,
  });
  const metrics = createWorkerMetrics(source, { workerType, queue, queueDepth: () => probe.read() });

  const server = createServer(
    { headersTimeout: 5_000, requestTimeout: 10_000, connectionsCheckingInterval: 1_000 },
    (request, response) => {
      handle(request, response).catch((error: unknown) => {
        options.logger.warn({ err: error, path: request.url }, 'metrics: could not answer %s', request.url);
        if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        response.end('internal error\n');
      });
    },
  );
  // Scrapes must not keep the process alive after stop.
  server.keepAliveTimeout = 5_000;

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = pathOf(request.url);
    if (path === undefined) {
      // Not worth a log line: anyone who can reach the port could flood the log with them.
      response.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end('bad request: malformed path\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
      return;
    }
    switch (path) {
      case '/metrics': {
        const text = await metrics.registry.metrics();
        response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(request.method === 'HEAD' ? undefined : text);
        return;
      }
      case '/healthz':
        return json(response, liveness(source.state));
      case '/readyz':
        return json(response, readiness(source.state, metrics.connected));
      default:
        response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: try /metrics, /healthz or /readyz\n');
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => options.logger.warn({ err: error }, 'metrics server error'));
  const port = (server.address() as AddressInfo).port;
  options.logger.info({ port, host: options.host }, 'serving /metrics, /healthz and /readyz on port %d', port);

  let closing: Promise<void> | undefined;
  return {
    port,
    close() {
      closing ??= (async () => {
        metrics.dispose();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await probe.close();
      })();
      return closing;
    },
  };
}

/** The path of a request target, or undefined when it is not a valid one (`//[`). */
function pathOf(target: string | undefined): string | undefined {
  try {
    return new URL(target ?? '/', 'http://localhost').pathname;
  } catch {
    return undefined;
  }
}

function json(response: ServerResponse, answer: HealthAnswer): void {
  response
    .writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' })
    .end(`${JSON.stringify(answer.body)}\n`);
}
