import { EventEmitter } from 'node:events';
import type { AmqpConnectionManager, ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import type Logger from 'bunyan';
import { normalizeConfig, type ResolvedConfig } from '../config/normalize.js';
import type { LogLevel, WorkerConfig } from '../config/options.js';
import { isWorkerError, TaskValidationError } from '../errors/worker-error.js';
import { createLogger, redactingChild } from '../log/logger.js';
import { maskCredentials, redact, secretsOf } from '../log/mask.js';
import { startMetricsServer } from '../metrics/server.js';
import { noopEventSink, type ProgressStats, type TaskEventSink } from '../progress/events.js';
import { createProgressReporter } from '../progress/reporter.js';
import { AckBatcher } from '../transport/ack-batcher.js';
import { connect, reconnectDelayMs } from '../transport/connection.js';
import { HEADERS } from '../transport/headers.js';
import { type QueueNames, queueNames } from '../transport/names.js';
import { publishConfirmed } from '../transport/publish.js';
import { assertTopology } from '../transport/topology.js';
import { copiedProperties, producerHeaders } from '../wire/copy.js';
import { completedReply, failedReply, replyPatterns, replyToProblem } from '../wire/reply.js';
import { type AttemptHooks, type AttemptOutcome, errorCode, errorMessage, runAttempt } from './attempt.js';
import { decodeDelivery } from './decode.js';
import { formatIssue, type StandardSchemaV1 } from './standard-schema.js';
import { TaskAbort } from './task-abort.js';
import type { TaskContext } from './task-context.js';

/** Where a worker is in its life. */
export type WorkerState = 'idle' | 'starting' | 'connecting' | 'consuming' | 'reconnecting' | 'stopping' | 'stopped';

/** How a delivery ended, as seen by metrics and logs. */
export type TaskOutcome = 'completed' | 'retried' | 'failed' | 'abandoned' | 'unrecorded';

/** Emitted once per delivery when it is done. */
export interface TaskRecord {
  readonly taskId: string;
  readonly attempt: number;
  readonly outcome: TaskOutcome;
  /** For `failed`: permanent, exhausted or invalid. */
  readonly reason?: 'permanent' | 'exhausted' | 'invalid';
  readonly durationMs: number;
}

/** The events a worker emits on `worker.events`, for metrics and health. */
export interface WorkerEventMap {
  taskStart: [{ readonly taskId: string; readonly attempt: number }];
  taskEnd: [TaskRecord];
  state: [WorkerState];
  connected: [];
  disconnected: [];
}

/** A forced stop aborts tasks with this reason; their deliveries are left for redelivery. */
class ShutdownAbort extends Error {
  override name = 'ShutdownAbort';
}

/** @internal The symbol through which `jworker-runtime/testing` runs one attempt. */
export const RUN_ATTEMPT = Symbol.for('jworker.runAttempt');

/** @internal What the test harness needs of a worker. */
export interface AttemptAccess<TTask, TResult> {
  hooks(logger: Logger, events: TaskEventSink, config?: WorkerConfig): AttemptHooks<TTask, TResult>;
}

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
 * await runWorker(new EmailWorker(loadConfig()));
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
  #resolved: ResolvedConfig | undefined;
  #names: QueueNames | undefined;
  #logger: Logger | undefined;
  #sink: TaskEventSink = noopEventSink;
  #hooks: AttemptHooks<TTask, TResult> | undefined;
  #manager: AmqpConnectionManager | undefined;
  #wrapper: ChannelWrapper | undefined;
  #consumer: { channel: ConfirmChannel; consumerTag: string } | undefined;
  #inFlight = 0;
  #onIdle: (() => void) | undefined;
  readonly #aborts = new Set<TaskAbort>();
  #startPromise: Promise<void> | undefined;
  #stopPromise: Promise<void> | undefined;
  #consuming: { promise: Promise<void>; resolve: () => void } | undefined;
  #recoveryTimer: NodeJS.Timeout | undefined;
  #recoveryFailures = 0;
  #closers: Array<() => Promise<void>> = [];
  #metricsPort: number | undefined;
  /** Holds the process open from start() to stop(): the reconnect timers are unref'd, so without it a worker whose
   * broker is down for more than an instant would see its event loop empty and exit, silently, with code 0. */
  #keepAlive: NodeJS.Timeout | undefined;
  /** The ack batcher of each open channel (flushed before the channel closes on stop). */
  readonly #batchers = new Set<AckBatcher>();
  /** Every secret of the configuration, kept out of logs, headers, replies and progress events. */
  readonly #secrets: readonly string[];
  /** Reply queues allowed by `replyToAllow`, besides the default ones. */
  #replyAllowed: (name: string) => boolean = () => false;
  /** Causes of unroutable replies already logged (each once), bounded. */
  readonly #unroutableLogged = new Set<string>();

  constructor(config: WorkerConfig = {}) {
    this.config = config;
    this.#secrets = secretsOf(config);
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
      : createLogger(this.safeWorkerType(), this.config.logLevel ?? 'info', this.#secrets);
    return this.#logger;
  }

  /** Where the worker is in its life. */
  get state(): WorkerState {
    return this.#state;
  }

  /** Tasks running now in this process. */
  get inFlight(): number {
    return this.#inFlight;
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
    return this.#resolved?.queue;
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

  /** The resolved configuration (after `start()`). @internal */
  get resolvedConfig(): ResolvedConfig | undefined {
    return this.#resolved;
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

  /** @internal Used by `jworker-runtime/testing`. */
  [RUN_ATTEMPT](): AttemptAccess<TTask, TResult> {
    return {
      hooks: (logger, events, config) => {
        const resolved = normalizeConfig(config ?? this.config, this.getWorkerType());
        return this.#makeHooks(resolved, logger, events);
      },
    };
  }

  /** An error's message as it may be shown anywhere: every secret removed. */
  #text(error: unknown): string {
    return redact(errorMessage(error), this.#secrets);
  }

  private safeWorkerType(): string {
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

  #makeHooks(cfg: ResolvedConfig, logger: Logger, events: TaskEventSink): AttemptHooks<TTask, TResult> {
    return {
      workerType: this.getWorkerType(),
      queue: cfg.queue,
      retry: cfg.retry,
      taskTimeoutMs: cfg.taskTimeoutMs,
      logger,
      events,
      // Neither a schema nor an override: the payload is the task, with no promise to wait for.
      validate:
        this.taskSchema === undefined && this.validateTask === BaseWorker.prototype.validateTask
          ? (raw) => raw as TTask
          : (raw) => this.validateTask(raw),
      execute: (task, context) => this.executeTask(task, context),
      isPermanent: (error, task) => (error instanceof TaskValidationError ? true : this.isPermanentError(error, task)),
      initialStep: (task) => this.getInitialStep(task),
    };
  }

  async #start(): Promise<void> {
    this.#setState('starting');
    const cfg = normalizeConfig(this.config, this.getWorkerType());
    this.#resolved = cfg;
    this.#names = queueNames(cfg.queue);
    this.#replyAllowed = replyPatterns(cfg.replyToAllow);
    const logger = this.logger;
    if (cfg.tls?.rejectUnauthorized === false) {
      logger.warn(
        'TLS certificate verification is off (tls.rejectUnauthorized: false): anyone between this worker and the broker can read and change its traffic, the password included. Use it only for local experiments.',
      );
    }
    if (cfg.progress) this.#sink = createProgressReporter(cfg.progress, { logger, secrets: this.#secrets });
    this.#hooks = this.#makeHooks(cfg, logger, this.#sink);
    await this.initialize();
    if (this.#stopPromise) return;
    if (cfg.metricsPort !== undefined) {
      const server = await startMetricsServer(this as BaseWorker<unknown, unknown>, {
        port: cfg.metricsPort,
        host: cfg.metricsHost,
        logger,
      });
      this.#metricsPort = server.port;
      this.onStop(() => server.close());
    }

    this.#keepAlive = setInterval(() => {}, 1 << 30);
    let resolveConsuming!: () => void;
    const consumingPromise = new Promise<void>((resolve) => {
      resolveConsuming = resolve;
    });
    this.#consuming = { promise: consumingPromise, resolve: resolveConsuming };
    this.#setState('connecting');
    logger.info(
      { queue: cfg.queue, queueType: cfg.queueType, concurrency: cfg.concurrency, amqpUrl: maskCredentials(cfg.amqpUrl) },
      'starting %s worker on queue %s',
      this.getWorkerType(),
      cfg.queue,
    );

    const manager = connect({
      amqpUrl: cfg.amqpUrl,
      heartbeatSeconds: cfg.heartbeatSeconds,
      tls: cfg.tls,
      logger,
      connectionName: `jworker ${this.getWorkerType()} ${cfg.queue} pid ${process.pid}`,
    });
    this.#manager = manager;
    manager.on('connect', () => this.events.emit('connected'));
    manager.on('disconnect', () => {
      this.#consumer = undefined;
      if (!this.#stopPromise) this.#setState('reconnecting');
      this.events.emit('disconnected');
    });

    const wrapper = manager.createChannel({
      name: `jworker:${cfg.queue}`,
      confirm: true,
      setup: (channel: ConfirmChannel) => this.#setup(channel, cfg),
    });
    this.#wrapper = wrapper;
    wrapper.on('error', (error: Error) => {
      logger.error(
        { err: error, queue: cfg.queue },
        'could not set up queue %s: %s. If the queue exists with other arguments (another queue type or delivery limit), delete it or match WORKER_QUEUE_TYPE / WORKER_DELIVERY_LIMIT. Retrying.',
        cfg.queue,
        maskCredentials(error.message),
      );
      this.#scheduleRecovery();
    });
    await consumingPromise;
  }

  async #setup(channel: ConfirmChannel, cfg: ResolvedConfig): Promise<void> {
    // A declare the broker never answers (a queue whose replicas are not up yet) would stall the channel for ever.
    await withTimeout(assertTopology(channel, cfg), SETUP_TIMEOUT_MS, `declaring the queues of ${cfg.queue}`);
    await channel.prefetch(cfg.concurrency);
    if (this.#stopPromise) return;
    channel.on('error', (error: Error) => {
      if (/delivery acknowledgement .*timed out/i.test(error.message)) {
        this.logger.error(
          { err: error, taskTimeoutMs: cfg.taskTimeoutMs },
          "a task ran longer than the broker's consumer_timeout: the broker closed the channel and will deliver the tasks in flight again " +
            "(quorum queues dead-letter them after the delivery limit). Set TASK_TIMEOUT_MS below the broker's consumer_timeout.",
        );
      } else {
        this.logger.warn({ err: error }, 'channel error: %s; reconnecting', maskCredentials(error.message));
      }
    });
    channel.on('close', () => {
      if (this.#consumer?.channel === channel) this.#consumer = undefined;
      // A channel can die while its connection lives (a channel error); the manager would then wait for ever.
      if (!this.#stopPromise && this.#manager?.isConnected()) this.#scheduleRecovery();
    });
    const acks = new AckBatcher(channel, (error, count) =>
      this.logger.warn(
        { err: error, count },
        'could not ack %d deliveries (the channel closed); the broker will deliver them again',
        count,
      ),
    );
    this.#batchers.add(acks);
    channel.on('close', () => this.#batchers.delete(acks));
    // Replies are the only mandatory publishes on this channel: a returned one reached no queue.
    channel.on('return', (returned: ConsumeMessage) => this.#unroutableReply(returned.fields.routingKey));
    const { consumerTag } = await channel.consume(cfg.queue, (message) => this.#onDelivery(channel, acks, message), {
      noAck: false,
    });
    this.#consumer = { channel, consumerTag };
    this.#recoveryFailures = 0;
    this.#setState('consuming');
    this.logger.info({ queue: cfg.queue }, 'consuming from %s', cfg.queue);
    this.#consuming?.resolve();
  }

  /** Reconnects after a channel-level failure, with backoff (the connection manager only handles lost connections). */
  #scheduleRecovery(): void {
    if (this.#recoveryTimer || this.#stopPromise) return;
    this.#recoveryFailures++;
    const delay = Math.max(500, reconnectDelayMs(this.#recoveryFailures));
    this.#setState('reconnecting');
    this.#recoveryTimer = setTimeout(() => {
      this.#recoveryTimer = undefined;
      if (this.#stopPromise || !this.#manager) return;
      this.#manager.reconnect();
    }, delay);
    this.#recoveryTimer.unref();
  }

  /** Logs once per cause (a direct reply-to client gone, a reply queue missing), never once per task. */
  #unroutableReply(replyTo: string): void {
    const cause = replyTo.startsWith('amq.rabbitmq.reply-to.') ? 'direct reply-to' : replyTo;
    if (this.#unroutableLogged.has(cause) || this.#unroutableLogged.size > 100) return;
    this.#unroutableLogged.add(cause);
    const more = this.#unroutableLogged.size > 100 ? ' (further causes are not logged)' : '';
    this.logger.warn(
      { replyTo: cause },
      cause === 'direct reply-to'
        ? `a reply to direct reply-to reached nobody: its caller was gone (disconnected or timed out); logged once${more}`
        : `a reply to queue ${cause} reached no queue: it does not exist; logged once for this queue${more}`,
    );
  }

  #onDelivery(channel: ConfirmChannel, acks: AckBatcher, message: ConsumeMessage | null): void {
    if (message === null) {
      // The broker cancelled the consumer: the queue was deleted. Declare it again and consume.
      this.logger.warn({ queue: this.#resolved?.queue }, 'the broker cancelled the consumer (was the queue deleted?); declaring it again');
      this.#scheduleRecovery();
      return;
    }
    this.#inFlight++;
    acks.track(message.fields.deliveryTag);
    void this.#handle(channel, acks, message);
  }

  /** One delivery, start to end. Never rejects: an unexpected error parks the delivery in the dead-letter queue. */
  async #handle(channel: ConfirmChannel, acks: AckBatcher, message: ConsumeMessage): Promise<void> {
    try {
      await this.#process(channel, acks, message);
    } catch (error) {
      await this.#salvage(channel, acks, message, error);
    } finally {
      this.#inFlight--;
      if (this.#inFlight === 0) this.#onIdle?.();
    }
  }

  /**
   * A bug in the runtime or a hook threw outside the attempt: park the message in `<queue>.dead` with the error,
   * so it is neither lost nor stuck unacked (holding a prefetch slot) nor redelivered in a hot loop.
   * If even that fails, return it to the queue.
   */
  async #salvage(channel: ConfirmChannel, acks: AckBatcher, message: ConsumeMessage, error: unknown): Promise<void> {
    const taskId = (message.properties.messageId as string | undefined) ?? 'unknown';
    this.logger.error(
      { err: error, taskId },
      'internal error handling task %s; moving it to the dead-letter queue: %s',
      taskId,
      this.#text(error),
    );
    try {
      const headers = {
        ...producerHeaders(message.properties.headers),
        [HEADERS.error]: truncate(`internal error: ${this.#text(error)}`, 4000),
        [HEADERS.errorCode]: 'INTERNAL',
        [HEADERS.reason]: 'invalid',
        [HEADERS.workerType]: this.getWorkerType(),
        [HEADERS.failedAt]: new Date().toISOString(),
      };
      await publishConfirmed(channel, (this.#names as QueueNames).dead, message.content, copyOf(message.properties, taskId, headers));
      acks.ack(message.fields.deliveryTag);
    } catch {
      try {
        acks.forget(message.fields.deliveryTag);
        channel.nack(message, false, true);
      } catch {
        // The channel is gone: the broker returns the message to the queue by itself.
      }
    }
  }

  async #process(channel: ConfirmChannel, acks: AckBatcher, message: ConsumeMessage): Promise<void> {
    const cfg = this.#resolved as ResolvedConfig;
    const hooks = this.#hooks as AttemptHooks<TTask, TResult>;
    const startedAt = performance.now();
    const { properties, fields } = message;
    const decoded = decodeDelivery(
      { content: message.content, messageId: properties.messageId, headers: properties.headers },
      cfg.maxMessageBytes,
    );
    const { taskId, attempt } = decoded;
    const requestedReplyTo = properties.replyTo as string | undefined;
    const replyProblem = requestedReplyTo ? replyToProblem(requestedReplyTo, cfg.queue, this.#replyAllowed) : undefined;
    const replyTo = replyProblem === undefined ? requestedReplyTo || undefined : undefined;
    this.events.emit('taskStart', { taskId, attempt });
    let outcome: AttemptOutcome<TResult>;
    if (decoded.ok && replyProblem === undefined) {
      const abort = new TaskAbort();
      this.#aborts.add(abort);
      this.logger.info({ taskId, attempt, redelivered: fields.redelivered }, 'task started');
      try {
        outcome = await runAttempt(hooks, {
          taskId,
          attempt,
          redelivered: fields.redelivered,
          payload: decoded.payload,
          controller: abort,
          serializeResult: replyTo !== undefined,
        });
      } finally {
        this.#aborts.delete(abort);
      }
    } else {
      const invalid = decoded.ok ? { code: 'REPLY_TO_REFUSED', message: replyProblem as string } : decoded;
      const error = Object.assign(new Error(invalid.message), { code: invalid.code });
      hooks.events.emit({
        taskId,
        workerType: hooks.workerType,
        queue: cfg.queue,
        status: 'FAILED',
        attempt,
        maxAttempts: cfg.retry.maxAttempts,
        error: invalid.message,
        timestamp: new Date().toISOString(),
      });
      outcome = { status: 'failed', error, reason: 'invalid' };
    }

    let recorded: TaskOutcome;
    try {
      recorded = await this.#record(channel, acks, message, taskId, attempt, outcome, replyTo);
    } catch (error) {
      recorded = 'unrecorded';
      this.logger.warn(
        { taskId, attempt, err: error },
        'could not record the outcome of task %s (the channel closed); the broker will deliver it again',
        taskId,
      );
    }
    const durationMs = Math.round((performance.now() - startedAt) * 100) / 100;
    const record: TaskRecord =
      outcome.status === 'failed'
        ? { taskId, attempt, outcome: recorded, reason: outcome.reason, durationMs }
        : { taskId, attempt, outcome: recorded, durationMs };
    this.#logEnd(record, outcome);
    this.events.emit('taskEnd', record);
  }

  #logEnd(record: TaskRecord, outcome: AttemptOutcome<TResult>): void {
    const { taskId, attempt, durationMs } = record;
    switch (outcome.status) {
      case 'completed':
        this.logger.info({ taskId, attempt, durationMs, outcome: record.outcome }, 'task completed');
        return;
      case 'retry':
        this.logger.warn(
          { taskId, attempt, durationMs, outcome: record.outcome, err: outcome.error, retryInMs: outcome.delayMs },
          'task failed, retrying in %d ms: %s',
          outcome.delayMs,
          this.#text(outcome.error),
        );
        return;
      case 'failed':
        this.logger.error(
          { taskId, attempt, durationMs, outcome: record.outcome, reason: outcome.reason, err: outcome.error },
          'task failed (%s), moved to the dead-letter queue: %s',
          outcome.reason,
          this.#text(outcome.error),
        );
        return;
      case 'abandoned':
        this.logger.warn(
          { taskId, attempt, durationMs, outcome: record.outcome },
          'task aborted by a forced stop; it will be delivered again',
        );
        return;
      default: {
        const exhaustive: never = outcome;
        throw new Error(`unknown outcome ${String(exhaustive)}`);
      }
    }
  }

  /** Makes the outcome safe on the broker (confirmed), then acks the delivery (batched per turn) on the channel it came from. */
  async #record(
    channel: ConfirmChannel,
    acks: AckBatcher,
    message: ConsumeMessage,
    taskId: string,
    attempt: number,
    outcome: AttemptOutcome<TResult>,
    replyTo: string | undefined,
  ): Promise<TaskOutcome> {
    const { properties } = message;
    const correlationId = (properties.correlationId as string | undefined) ?? taskId;
    const names = this.#names as QueueNames;
    switch (outcome.status) {
      case 'completed': {
        if (replyTo) {
          const json = outcome.resultJson ?? JSON.stringify(outcome.result) ?? 'null';
          await reply(channel, replyTo, correlationId, taskId, completedReply(taskId, json));
        }
        acks.ack(message.fields.deliveryTag);
        return 'completed';
      }
      case 'retry': {
        const headers = {
          ...producerHeaders(properties.headers),
          [HEADERS.attempt]: outcome.nextAttempt,
          [HEADERS.lastError]: truncate(this.#text(outcome.error), 1000),
        };
        await publishConfirmed(channel, names.retry(outcome.queueDelayMs), message.content, {
          ...copyOf(properties, taskId, headers),
          ...(outcome.delayMs < outcome.queueDelayMs ? { expiration: String(outcome.delayMs) } : {}),
        });
        acks.ack(message.fields.deliveryTag);
        return 'retried';
      }
      case 'failed': {
        const messageText = truncate(this.#text(outcome.error), 4000);
        const code =
          errorCode(outcome.error) ??
          (outcome.reason === 'exhausted' ? 'EXHAUSTED' : outcome.reason === 'permanent' ? 'PERMANENT' : 'INVALID');
        const headers = {
          ...producerHeaders(properties.headers),
          [HEADERS.error]: messageText,
          [HEADERS.errorCode]: code,
          [HEADERS.reason]: outcome.reason,
          [HEADERS.attempts]: attempt,
          [HEADERS.workerType]: this.getWorkerType(),
          [HEADERS.failedAt]: new Date().toISOString(),
        };
        await publishConfirmed(channel, names.dead, message.content, copyOf(properties, taskId, headers));
        if (replyTo) {
          const body = failedReply(taskId, { message: messageText, code, permanent: outcome.reason !== 'exhausted' });
          await reply(channel, replyTo, correlationId, taskId, body);
        }
        acks.ack(message.fields.deliveryTag);
        return 'failed';
      }
      case 'abandoned':
        // Leave the delivery unacked: closing the channel returns it to the queue.
        return 'abandoned';
      default: {
        const exhaustive: never = outcome;
        throw new Error(`unknown outcome ${String(exhaustive)}`);
      }
    }
  }

  async #stop(): Promise<void> {
    const wasStarted = this.#startPromise !== undefined;
    this.#setState('stopping');
    this.#consuming?.resolve();
    if (this.#recoveryTimer) clearTimeout(this.#recoveryTimer);
    const cfg = this.#resolved;
    if (!wasStarted || !cfg) {
      this.#setState('stopped');
      return;
    }
    const logger = this.logger;
    logger.info(
      { inFlight: this.#inFlight, shutdownTimeoutMs: cfg.shutdownTimeoutMs },
      'stopping: no new tasks; waiting for %d in flight',
      this.#inFlight,
    );
    const consumer = this.#consumer;
    if (consumer) {
      try {
        await consumer.channel.cancel(consumer.consumerTag);
      } catch {
        // The channel is already gone: nothing is consumed from it any more.
      }
    }
    if (!(await this.#waitIdle(cfg.shutdownTimeoutMs))) {
      logger.warn(
        { inFlight: this.#inFlight },
        'shutdown timeout (%d ms) reached: aborting %d tasks; they will be delivered again',
        cfg.shutdownTimeoutMs,
        this.#inFlight,
      );
      for (const abort of this.#aborts) abort.abort(new ShutdownAbort('worker stopped before the task finished'));
      await this.#waitIdle(5_000);
    }
    await this.#sink
      .close(cfg.progress?.flushTimeoutMs ?? 5_000)
      .catch((error: unknown) => logger.warn({ err: error }, 'could not flush progress events'));
    // Acks gathered in this turn of the event loop go out before the channel closes.
    for (const batcher of this.#batchers) batcher.flush();
    try {
      await this.#wrapper?.close();
    } catch {
      // Closing a channel that is already closed.
    }
    try {
      await this.#manager?.close();
    } catch {
      // Closing a connection that is already closed.
    }
    clearInterval(this.#keepAlive);
    for (const closer of this.#closers) {
      await closer().catch((error: unknown) => logger.warn({ err: error }, 'a stop hook failed'));
    }
    this.#setState('stopped');
    logger.info('stopped');
  }

  #waitIdle(timeoutMs: number): Promise<boolean> {
    if (this.#inFlight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#onIdle = undefined;
        resolve(false);
      }, timeoutMs);
      this.#onIdle = () => {
        clearTimeout(timer);
        this.#onIdle = undefined;
        resolve(true);
      };
    });
  }
}

/** How long declaring the queues may take after a (re)connect before the worker gives up on that channel and retries. */
const SETUP_TIMEOUT_MS = 30_000;

/** Rejects with a clear error when `work` takes longer than `ms`. */
function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

/**
 * Publishes a task's result or failure to its `replyTo`, confirmed. Persistent, so that a reply waiting in a durable
 * reply queue survives a broker restart (RabbitMQ ignores it for direct reply-to); mandatory, so that a reply that
 * reaches nobody comes back (basic.return) and is logged.
 */
function reply(channel: ConfirmChannel, replyTo: string, correlationId: string, taskId: string, body: Buffer): Promise<void> {
  return publishConfirmed(channel, replyTo, body, {
    correlationId,
    messageId: taskId,
    contentType: 'application/json',
    persistent: true,
    mandatory: true,
  });
}

/** A retry or dead-letter copy of a delivery: its kept properties and `headers`, with the task id as messageId. */
function copyOf(properties: ConsumeMessage['properties'], taskId: string, headers: Record<string, unknown>) {
  return { ...copiedProperties(properties, headers), messageId: taskId };
}
