import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Logger from 'bunyan';
import { topology } from '../transport/topology.js';
import type { BaseWorker } from '../worker/base-worker.js';
import { type HealthAnswer, liveness, readiness } from './health.js';
import { QueueDepthProbe } from './queue-depth.js';
import { createWorkerMetrics } from './registry.js';

/** Options of {@link startMetricsServer}. */
export interface MetricsServerOptions {
  /** The port; 0 picks a free one (read it back from `port`). */
  readonly port: number;
  readonly host: string;
  readonly logger: Logger;
}

/** A running metrics server. */
export interface MetricsServer {
  /** The port the server is bound to. */
  readonly port: number;
  /** Stops serving, stops listening to the worker and closes the queue-depth connection. Idempotent. */
  close(): Promise<void>;
}

/**
 * Serves `/metrics` (Prometheus text), `/healthz` (liveness) and `/readyz` (readiness) for one worker.
 * Called by BaseWorker after the configuration is resolved, when `metricsPort` is set.
 */
export async function startMetricsServer(worker: BaseWorker<unknown, unknown>, options: MetricsServerOptions): Promise<MetricsServer> {
  const cfg = worker.resolvedConfig;
  if (!cfg) throw new Error('startMetricsServer: the worker has no resolved configuration yet (call it from start())');
  // getWorkerType() is protected; the metrics are part of the runtime, so they may read it.
  const workerType = worker.workerType;
  const specs = topology(cfg);
  const probe = new QueueDepthProbe({
    amqpUrl: cfg.amqpUrl,
    tls: cfg.tls,
    work: cfg.queue,
    dead: `${cfg.queue}.dead`,
    retry: specs.filter((spec) => spec.name.startsWith(`${cfg.queue}.retry.`)).map((spec) => spec.name),
    logger: options.logger,
    connectionName: `jworker metrics ${workerType} ${cfg.queue} pid ${process.pid}`,
  });
  const metrics = createWorkerMetrics(worker, { workerType, queue: cfg.queue, queueDepth: () => probe.read() });

  // A client that trickles its request holds a socket: bound how long headers and the whole request may take, checked
  // every second (Node's default check runs every 30 s).
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
        return json(response, liveness(worker.state));
      case '/readyz':
        return json(response, readiness(worker.state, metrics.connected));
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
