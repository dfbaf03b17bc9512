import { EventEmitter } from 'node:events';
import type Logger from 'bunyan';
import { normalizeConfig } from '../config/normalize.js';
import type { LogLevel, WorkerConfig } from '../config/options.js';
import { isWorkerError, TaskValidationError } from '../errors/worker-error.js';
import { createLogger, flushLogs, redactingChild } from '../log/logger.js';
import { maskCredentials, secretsOf } from '../log/mask.js';
import { startMetricsServer } from '../metrics/server.js';
import { noopEventSink, type ProgressStats, type TaskEventSink } from '../progress/events.js';
import { reporterFor } from '../progress/reporter.js';
import { VERSION } from '../version.js';
import { attemptHooks, hooksOf, provideHooks } from './hooks.js';
import { InFlight } from './in-flight.js';
import { formatIssue, type StandardSchemaV1 } from './standard-schema.js';
import type { TaskContext } from './task-context.js';
import type { WorkerEventMap, WorkerState } from './worker-events.js';
import { WorkerRun } from './worker-run.js';

/**
 * The base of every worker. Subclasses implement {@link BaseWorker.getWorkerType} and {@link BaseWorker.executeTask};
 * the runtime owns consuming, retries on the broker, dead letters, progress, logs and shutdown.
 *
 * @example
 * class EmailWorker extends BaseWorker<EmailTask, EmailResult> {
 *   protected getWorkerType() { return 'email'; }
 *   protected async executeTask(task: EmailTask, context: TaskContext) {
 *     context.progress(50, 'Sending');
 *     return { messageId: await send(task, { signal: context.signal }) };
 *   }
 * }
 * await runWorker(() => new EmailWorker(loadConfig()));
 */
export abstract class BaseWorker<TTask = unknown, TResult = unknown> {
  /** Lifecycle and per-task events: `taskStart`, `taskEnd`, `state`, `connected`, `disconnected`. */
  readonly events = new EventEmitter<WorkerEventMap>();
  /** The configuration this worker was constructed with. */
  protected readonly config: WorkerConfig;
  /**
   * A Standard Schema v1 validator (zod, valibot, arktype…) for the task payload. Failures are permanent.
   * Ignored when {@link BaseWorker.validateTask} is overridden.
   */
  protected readonly taskSchema?: StandardSchemaV1<unknown, TTask>;

  #state: WorkerState = 'idle';
  #logger: Logger | undefined;
  #sink: TaskEventSink = noopEventSink;
  #run: WorkerRun<TTask, TResult> | undefined;
  #queue: string | undefined;
  #metricsPort: number | undefined;
  #startPromise: Promise<void> | undefined;
  #stopPromise: Promise<void> | undefined;
  readonly #inFlight = new InFlight();
  readonly #closers: Array<() => Promise<void>> = [];
  /** Every secret of the configuration, kept out of logs, headers, replies and progress events. */
  readonly #secrets: readonly string[];

  constructor(config: WorkerConfig = {}) {
    this.config = config;
    this.#secrets = secretsOf(config);
    provideHooks<TTask, TResult>(this, {
      config,
      workerType: () => this.getWorkerType(),
      // Neither a schema nor an override: the payload is the task, with no promise to wait for.
      validator: () =>
        this.taskSchema === undefined && this.validateTask === BaseWorker.prototype.validateTask
          ? (raw) => raw as TTask
          : (raw) => this.validateTask(raw),
      execute: (task, context) => this.executeTask(task, context),
      isPermanent: (error, task) => error instanceof TaskValidationError || this.isPermanentError(error, task),
      initialStep: (task) => this.getInitialStep(task),
    });
  }

  /** A short name for this kind of worker (`email`, `scraper`): in every log line and event, and the default queue name. */
  protected abstract getWorkerType(): string;

  /** Does the work of one task. Throw to fail the attempt; throw `WorkerError` with `permanent: true` to stop retries. */
  protected abstract executeTask(task: TTask, context: TaskContext): Promise<TResult>;

  /** Sets up resources (clients, pools) before the first task. @default does nothing */
  protected async initialize(): Promise<void> {}

  /**
   * True when retrying cannot help: the task goes to `<queue>.dead` at once.
   * @default true for a `WorkerError` with `permanent: true` and for validation failures, false for anything else
   */
  protected isPermanentError(error: unknown, _task: TTask): boolean {
    return isWorkerError(error) && error.permanent;
  }

  /** The first progress step of an attempt, sent with the STARTED event. @default `Starting <workerType> task` */
  protected getInitialStep(_task: TTask): string {
    return `Starting ${this.getWorkerType()} task`;
  }

  /**
   * Turns the parsed JSON body into a task, or throws (a permanent failure).
   * @default runs {@link BaseWorker.taskSchema} when set, else passes the payload through
   */
  protected async validateTask(raw: unknown): Promise<TTask> {
    const schema = this.taskSchema;
    if (schema === undefined) return raw as TTask;
    const result = await schema['~standard'].validate(raw);
    if (result.issues) throw new TaskValidationError(result.issues.map(formatIssue));
    return result.value;
  }

  /** The worker's logger (bunyan). Available from `start()` on, so also inside `initialize()`. */
  get logger(): Logger {
    this.#logger ??= this.config.logger
      ? redactingChild(this.config.logger, this.#secrets)
      : createLogger(this.#safeWorkerType(), this.config.logLevel ?? 'info', this.#secrets);
    return this.#logger;
  }

  /** Where the worker is in its life. */
  get state(): WorkerState {
    return this.#state;
  }

  /** Tasks running now in this process. */
  get inFlight(): number {
    return this.#inFlight.count;
  }

  /** Progress delivery counters, or undefined when reporting is off. */
  get progressStats(): ProgressStats | undefined {
    return this.#sink.stats?.();
  }

  /** This worker's type, as `getWorkerType()` returns it. */
  get workerType(): string {
    return this.getWorkerType();
  }

  /** The port the metrics server listens on (after `start()` with `metricsPort`; useful with port 0). */
  get metricsPort(): number | undefined {
    return this.#metricsPort;
  }

  /** The resolved work queue name (after `start()`). */
  get queue(): string | undefined {
    return this.#queue;
  }

  /** Logs through the task's logger (with taskId, attempt, workerType) or, without a context, the worker's. */
  protected log(context: TaskContext | undefined, level: LogLevel, message: string, fields: Record<string, unknown> = {}): void {
    const logger = context?.logger ?? this.logger;
    logger[level](fields, message);
  }

  /** Registers cleanup run at the end of `stop()` (after the connection closed). Used by metrics and extensions. */
  onStop(closer: () => Promise<void>): void {
    this.#closers.push(closer);
  }

  /**
   * Connects, declares the queues and consumes. Resolves once consuming (or when `stop()` is called first).
   * Idempotent: a second call returns the same promise.
   * @throws ConfigError when the configuration is invalid.
   */
  start(): Promise<void> {
    this.#startPromise ??= this.#start();
    return this.#startPromise;
  }

  /**
   * Stops consuming, lets in-flight tasks finish up to `shutdownTimeoutMs`, then aborts the rest (they are delivered
   * again), flushes progress events and closes the connection. Idempotent.
   */
  stop(): Promise<void> {
    this.#stopPromise ??= this.#stop();
    return this.#stopPromise;
  }

  #safeWorkerType(): string {
    try {
      return this.getWorkerType();
    } catch {
      return 'worker';
    }
  }

  #setState(state: WorkerState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.events.emit('state', state);
  }

  async #start(): Promise<void> {
    this.#setState('starting');
    const cfg = normalizeConfig(this.config, this.getWorkerType());
    this.#queue = cfg.queue;
    const logger = this.logger;
    if (cfg.tls?.rejectUnauthorized === false) {
      logger.warn(
        'TLS certificate verification is off (tls.rejectUnauthorized: false): anyone between this worker and the broker can read and change its traffic, the password included. Use it only for local experiments.',
      );
    }
    if (cfg.progress) this.#sink = reporterFor(cfg.progress, { logger, secrets: this.#secrets });
    await this.initialize();
    if (this.#stopPromise) return;
    if (cfg.metricsPort !== undefined) {
      const server = await startMetricsServer(this, {
        ...cfg,
        port: cfg.metricsPort,
        host: cfg.metricsHost,
        logger,
        workerType: this.workerType,
      });
      this.#metricsPort = server.port;
      this.onStop(() => server.close());
      if (this.#stopPromise) return server.close();
    }
    logger.info(
      { queue: cfg.queue, queueType: cfg.queueType, concurrency: cfg.concurrency, amqpUrl: maskCredentials(cfg.amqpUrl) },
      'starting %s worker on queue %s (jworker-runtime %s)',
      this.workerType,
      cfg.queue,
      VERSION,
    );
    this.#run = new WorkerRun<TTask, TResult>({
      cfg,
      logger,
      hooks: attemptHooks(hooksOf<TTask, TResult>(this), cfg, logger, this.#sink),
      sink: this.#sink,
      events: this.events,
      inFlight: this.#inFlight,
      secrets: this.#secrets,
      setState: (state) => this.#setState(state),
    });
    await this.#run.started();
  }

  async #stop(): Promise<void> {
    this.#setState('stopping');
    if (this.#startPromise) {
      await this.#run?.stop();
      for (const closer of this.#closers) {
        await closer().catch((error: unknown) => this.logger.warn({ err: error }, 'a stop hook failed'));
      }
    }
    this.#setState('stopped');
    if (this.#startPromise) this.logger.info('stopped');
    flushLogs();
  }
}
