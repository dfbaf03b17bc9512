import type { EventEmitter } from 'node:events';
import type Logger from 'bunyan';
import type { ResolvedConfig } from '../config/normalize.js';
import type { TaskEventSink } from '../progress/events.js';
import { hiddenTracerProvider } from '../tracing/registration.js';
import { Consumer } from '../transport/consumer.js';
import { assertTopology } from '../transport/declare.js';
import type { AttemptHooks } from './attempt.js';
import { DeliveryHandler } from './delivery-handler.js';
import type { InFlight } from './in-flight.js';
import type { WorkerEventMap, WorkerState } from './worker-events.js';

/** A forced stop aborts tasks with this reason; their deliveries are left for redelivery. */
class ShutdownAbort extends Error {
  override name = 'ShutdownAbort';
}

/** What a running worker is made of, all known once `start()` resolved the configuration. */
export interface WorkerRunOptions<TTask, TResult> {
  readonly cfg: ResolvedConfig;
  readonly logger: Logger;
  readonly hooks: AttemptHooks<TTask, TResult>;
  readonly sink: TaskEventSink;
  readonly events: EventEmitter<WorkerEventMap>;
  readonly inFlight: InFlight;
  readonly secrets: readonly string[];
  setState(state: WorkerState): void;
}

/**
 * A worker from `start()` to `stop()`: the consumer and the delivery handler it feeds, and what holds the process open
 * meanwhile. `stop()` drains it: no new deliveries, in-flight tasks finish (or are aborted after the grace period),
 * progress is flushed, acks are sent, the connection closes.
 */
export class WorkerRun<TTask, TResult> {
  readonly #options: WorkerRunOptions<TTask, TResult>;
  readonly #consumer: Consumer;
  /** Not unref'd: a worker whose broker is down for a while must not see its event loop empty and exit with code 0. */
  readonly #keepAlive = setInterval(() => {}, 1 << 30);

  constructor(options: WorkerRunOptions<TTask, TResult>) {
    this.#options = options;
    const { cfg, logger, events } = options;
    const hidden = hiddenTracerProvider();
    if (hidden) logger.warn(hidden);
    const handler = new DeliveryHandler<TTask, TResult>({ ...options, redeclare: () => this.#consumer.redeclare() });
    this.#consumer = new Consumer({
      ...cfg,
      logger,
      prefetch: cfg.concurrency,
      connectionName: `jworker ${options.hooks.workerType} ${cfg.queue} pid ${process.pid}`,
      declare: (channel) => assertTopology(channel, cfg),
      onDelivery: (delivery) => handler.handle(delivery),
      onState: (state) => options.setState(state),
      onConnected: () => events.emit('connected'),
      onDisconnected: () => events.emit('disconnected'),
    });
  }

  /** Resolves once consuming, or once stopping. */
  started(): Promise<void> {
    return this.#consumer.started();
  }

  async stop(): Promise<void> {
    const { cfg, logger, inFlight, sink } = this.#options;
    logger.info(
      { inFlight: inFlight.count, shutdownTimeoutMs: cfg.shutdownTimeoutMs },
      'stopping: no new tasks; waiting for %d in flight',
      inFlight.count,
    );
    await this.#consumer.cancel();
    if (!(await inFlight.waitIdle(cfg.shutdownTimeoutMs))) {
      logger.warn(
        { inFlight: inFlight.count },
        'shutdown timeout (%d ms) reached: aborting %d tasks; they will be delivered again',
        cfg.shutdownTimeoutMs,
        inFlight.count,
      );
      inFlight.abortAll(new ShutdownAbort('worker stopped before the task finished'));
      await inFlight.waitIdle(5_000);
    }
    await sink.close().catch((error: unknown) => logger.warn({ err: error }, 'could not flush progress events'));
    // Acks gathered in this turn of the event loop go out before the channel closes.
    await this.#consumer.close();
    clearInterval(this.#keepAlive);
  }
}
