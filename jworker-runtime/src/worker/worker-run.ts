import type { EventEmitter } from 'node:events';
import type Logger from 'bunyan';
import type { ResolvedConfig } from '../config/normalize.js';
import type { TaskEventSink } from '../progress/events.js';
import { hiddenTracerProvider } from '../tracing/registration.js';
import { CancelFollower } from '../transport/cancel-follower.js';
import { Consumer } from '../transport/consumer.js';
import { assertTopology } from '../transport/declare.js';
import { cancelStreamSpec } from '../wire/cancel.js';
import type { AttemptHooks } from './attempt.js';
import { Cancellations } from './cancellations.js';
import { DeliveryHandler } from './delivery-handler.js';
import type { InFlight } from './in-flight.js';
import { StartLimiter } from './start-limiter.js';
import type { WorkerEventMap, WorkerState } from './worker-events.js';

/** How long a (re)connect waits to have read the cancel stream before consuming. */
const CANCEL_CATCH_UP_MS = 10_000;

/** Prefetched tasks waiting longer than this for the rate limit risk the broker's consumer_timeout. */
const LONG_WAIT_MS = 15 * 60_000;

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
  /** Reads the cancel stream; absent when cancelling is off (`cancelWindowMs: 0`). */
  readonly #follower: CancelFollower | undefined;
  readonly #limiter: StartLimiter | undefined;
  /** Not unref'd: a worker whose broker is down for a while must not see its event loop empty and exit with code 0. */
  readonly #keepAlive = setInterval(() => {}, 1 << 30);

  constructor(options: WorkerRunOptions<TTask, TResult>) {
    this.#options = options;
    const { cfg, logger, events } = options;
    const hidden = hiddenTracerProvider();
    if (hidden) logger.warn(hidden);
    const cancels = new Cancellations(cfg.cancelWindowMs);
    const limiter = cfg.rateLimit && new StartLimiter(cfg.rateLimit);
    this.#limiter = limiter;
    if (limiter && limiter.intervalMs * cfg.concurrency > LONG_WAIT_MS) {
      logger.warn(
        { rateLimit: cfg.rateLimit, concurrency: cfg.concurrency },
        "with this rate limit the last of %d prefetched tasks waits %d s unacked before it starts; past the broker's consumer_timeout (30 min by default) the channel is closed. Lower WORKER_CONCURRENCY.",
        cfg.concurrency,
        Math.round((limiter.intervalMs * cfg.concurrency) / 1000),
      );
    }
    const handler = new DeliveryHandler<TTask, TResult>({
      ...options,
      cancels,
      limiter,
      redeclare: () => this.#consumer.redeclare(),
    });
    this.#consumer = new Consumer({
      ...cfg,
      logger,
      prefetch: cfg.concurrency,
      connectionName: `jworker ${options.hooks.workerType} ${cfg.queue} pid ${process.pid}`,
      declare: async (channel) => {
        await assertTopology(channel, cfg);
        await this.#cancelsReadBeforeConsuming();
      },
      onDelivery: (delivery) => handler.handle(delivery),
      onState: (state) => options.setState(state),
      onConnected: () => events.emit('connected'),
      onDisconnected: () => {
        this.#follower?.connectionLost();
        events.emit('disconnected');
      },
    });
    this.#follower =
      cfg.cancelWindowMs === 0
        ? undefined
        : new CancelFollower((setup) => this.#consumer.openChannel(`jworker:${cfg.queue}:cancel`, setup), {
            stream: cancelStreamSpec(cfg.queue, cfg.cancelWindowMs),
            windowMs: cfg.cancelWindowMs,
            logger,
            onCancel: (taskId, at) => cancels.cancel(taskId, at),
          });
  }

  /** A task cancelled while no worker ran must not start: read the cancel stream's window first (bounded wait). */
  async #cancelsReadBeforeConsuming(): Promise<void> {
    if (this.#follower === undefined || (await this.#follower.caughtUp(CANCEL_CATCH_UP_MS))) return;
    this.#options.logger.warn(
      'the cancel stream was not read within %d ms; consuming anyway: a task cancelled earlier may still run',
      CANCEL_CATCH_UP_MS,
    );
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
    // Tasks still waiting for the rate limit go back to the queue unstarted.
    this.#limiter?.stop();
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
    await this.#follower?.close();
    await this.#consumer.close();
    clearInterval(this.#keepAlive);
  }
}
