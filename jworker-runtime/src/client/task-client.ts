import { randomUUID } from 'node:crypto';
import type { AmqpConnectionManager, ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import type Logger from 'bunyan';
import { tlsProblem } from '../config/amqp-url.js';
import type { TlsOptions } from '../config/options.js';
import { ConfigError, TaskCancelledError, TaskFailedError } from '../errors/worker-error.js';
import { createLogger } from '../log/logger.js';
import { maskCredentials } from '../log/mask.js';
import { tracedPublish } from '../tracing/publish-span.js';
import { hiddenTracerProvider } from '../tracing/registration.js';
import { connect } from '../transport/connection.js';
import { cancelRequest, cancelStreamSpec, DEFAULT_CANCEL_WINDOW_MS } from '../wire/cancel.js';
import { notBeforeOf } from '../wire/delay.js';
import { HEADERS } from '../wire/headers.js';
import { DIRECT_REPLY_TO, type TaskReply } from '../wire/reply.js';

/** Options for {@link TaskClient}. */
export interface TaskClientOptions {
  /** Broker URL(s), comma-separated for a cluster. @default process.env.AMQP_URL ?? 'amqp://localhost:5672' */
  readonly url?: string;
  /** TLS material for `amqps://`. */
  readonly tls?: TlsOptions;
  /** A bunyan logger for connection events. @default a logger at warn level on stdout */
  readonly logger?: Logger;
  /** Default time `call()` waits for a result, in ms. @default 30000 */
  readonly callTimeoutMs?: number;
  /** How long `enqueue()` waits for the broker to confirm, in ms (also while disconnected). @default 30000 */
  readonly publishTimeoutMs?: number;
}

/** Options for one published task. */
export interface EnqueueOptions {
  /** The task id (AMQP `messageId`). @default a random UUID */
  readonly taskId?: string;
  /** Extra AMQP headers. */
  readonly headers?: Readonly<Record<string, unknown>>;
  /**
   * Start the task no sooner than this many ms from now (1 s to 30 days and more). It waits on the broker, in the
   * queue's delay buckets (docs/scheduling.md). Not with `notBefore`.
   */
  readonly delayMs?: number;
  /** Start the task no sooner than this time (this machine's clock). Not with `delayMs`. */
  readonly notBefore?: Date;
}

/** Options for {@link TaskClient.call}. */
export interface CallOptions extends EnqueueOptions {
  /** How long to wait for the result, in ms. @default the client's `callTimeoutMs` */
  readonly timeoutMs?: number;
}

interface PendingCall {
  readonly taskId: string;
  readonly queue: string;
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
  /** The channel generation the task was confirmed on; direct replies only reach that channel. */
  generation: number | undefined;
}

function isChannelGone(error: unknown): boolean {
  return error instanceof Error && /channel closed|connection closed|channel ended|not connected/i.test(error.message);
}

/** Thrown when a queue does not exist: the broker returned the message. */
export class QueueNotFoundError extends Error {
  override name = 'QueueNotFoundError' as const;
  constructor(queue: string) {
    super(`no queue named "${queue}": start a worker for it first (it declares the queue), or check the name`);
  }
}

/**
 * Publishes tasks to worker queues. `enqueue` resolves once the broker confirmed the task;
 * `call` also waits for the worker's result through RabbitMQ direct reply-to.
 *
 * @example
 * const client = new TaskClient({ url: 'amqp://localhost' });
 * const taskId = await client.enqueue('email', { to: 'a@example.com' });
 * const result = await client.call('email', { to: 'b@example.com' }, { timeoutMs: 10_000 });
 * await client.close();
 */
export class TaskClient {
  readonly #manager: AmqpConnectionManager;
  readonly #wrapper: ChannelWrapper;
  readonly #pending = new Map<string, PendingCall>();
  readonly #returned = new Map<string, string>();
  readonly #callTimeoutMs: number;
  readonly #publishTimeoutMs: number;
  #generation = 0;
  #closePromise: Promise<void> | undefined;

  constructor(options: TaskClientOptions = {}) {
    const url = options.url ?? process.env.AMQP_URL ?? 'amqp://localhost:5672';
    const tlsIssue = tlsProblem(url, options.tls);
    if (tlsIssue) throw new ConfigError([tlsIssue]);
    const logger = options.logger ?? createLogger('jworker-client', 'warn');
    this.#callTimeoutMs = options.callTimeoutMs ?? 30_000;
    this.#publishTimeoutMs = options.publishTimeoutMs ?? 30_000;
    this.#manager = connect({
      amqpUrl: url,
      heartbeatSeconds: 5,
      tls: options.tls,
      logger,
      connectionName: `jworker client pid ${process.pid}`,
    });
    this.#wrapper = this.#manager.createChannel({
      name: 'jworker:client',
      confirm: true,
      publishTimeout: this.#publishTimeoutMs,
      setup: async (channel: ConfirmChannel) => {
        this.#generation++;
        // Replies to tasks confirmed on an earlier channel can never arrive: direct reply-to is bound to its channel.
        for (const call of this.#pending.values()) {
          if (call.generation !== undefined && call.generation < this.#generation) {
            this.#settle(
              call.taskId,
              new Error(
                `the connection was lost while waiting for the result of task ${call.taskId} on ${call.queue}; the task may still run`,
              ),
            );
          }
        }
        channel.on('return', (message: ConsumeMessage) => {
          const id = message.properties.messageId as string | undefined;
          if (id) this.#returned.set(id, message.fields.routingKey);
        });
        await channel.consume(DIRECT_REPLY_TO, (message) => this.#onReply(message), { noAck: true });
      },
    });
    this.#wrapper.on('error', (error: Error) => logger.warn({ error: maskCredentials(error.message) }, 'task client channel error'));
    const hidden = hiddenTracerProvider();
    if (hidden) logger.warn(hidden);
  }

  /**
   * Publishes a task (persistent JSON) to `queue` and resolves to its task id once the broker confirmed it.
   * @throws QueueNotFoundError when no queue has that name.
   */
  async enqueue(queue: string, task: unknown, options: EnqueueOptions = {}): Promise<string> {
    return this.#publish(queue, task, options, undefined);
  }

  /**
   * Publishes a task and waits for its result. Rejects with {@link TaskFailedError} when the worker reports a failure
   * (permanent, invalid or out of attempts), and with a timeout error after `timeoutMs`.
   */
  call<TResult = unknown>(queue: string, task: unknown, options: CallOptions = {}): Promise<TResult> {
    const taskId = options.taskId ?? randomUUID();
    const timeoutMs = options.timeoutMs ?? this.#callTimeoutMs;
    return new Promise<TResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#settle(taskId, new Error(`no result for task ${taskId} from queue ${queue} within ${timeoutMs} ms`));
      }, timeoutMs);
      const call: PendingCall = { taskId, queue, resolve: resolve as (value: unknown) => void, reject, timer, generation: undefined };
      this.#pending.set(taskId, call);
      this.#publish(queue, task, { ...options, taskId }, DIRECT_REPLY_TO).then(
        () => {
          call.generation = this.#generation;
        },
        (error: unknown) => this.#settle(taskId, error instanceof Error ? error : new Error(String(error))),
      );
    });
  }

  /**
   * Cancels a task (docs/scheduling.md#cancelling): resolves once the request is on the broker, in the queue's cancel
   * stream. A task not started yet (queued, delayed, waiting for a retry) is dropped when it reaches a worker within
   * the cancel window (24 h by default); a running one has its `context.signal` aborted with a
   * {@link TaskCancelledError}. A `call()` waiting for it rejects with that error. Cancelling an unknown or finished
   * task does nothing.
   */
  async cancel(queue: string, taskId: string): Promise<void> {
    if (typeof taskId !== 'string' || taskId.length === 0) throw new TypeError(`cancel: expected a task id, got ${String(taskId)}`);
    const stream = cancelStreamSpec(queue, DEFAULT_CANCEL_WINDOW_MS);
    const { content, options } = cancelRequest(taskId, Date.now());
    try {
      await this.#send(stream.name, content, options);
    } catch (error) {
      if (!(error instanceof QueueNotFoundError)) throw error;
      // No worker that reads cancels has started on this queue yet: create the stream, so that the first one reads it.
      await this.#wrapper.assertQueue(stream.name, { durable: true, arguments: { ...stream.arguments } });
      await this.#send(stream.name, content, options);
    }
  }

  /** Closes the connection. Pending calls are rejected. Idempotent. */
  close(): Promise<void> {
    this.#closePromise ??= (async () => {
      for (const taskId of [...this.#pending.keys()])
        this.#settle(taskId, new Error(`the client was closed before task ${taskId} returned a result`));
      await this.#wrapper.close().catch(() => {});
      await this.#manager.close().catch(() => {});
    })();
    return this.#closePromise;
  }

  async #publish(queue: string, task: unknown, options: EnqueueOptions, replyTo: string | undefined): Promise<string> {
    if (this.#closePromise) throw new Error('the task client is closed');
    const taskId = options.taskId ?? randomUUID();
    const body = JSON.stringify(task);
    if (body === undefined) throw new TypeError(`the task for ${queue} cannot be sent as JSON (got ${typeof task})`);
    const content = Buffer.from(body);
    const notBefore = notBeforeOf(options, Date.now());
    const headers = notBefore === undefined ? options.headers : { ...options.headers, [HEADERS.notBefore]: notBefore };
    // The PRODUCER span covers the publish until the broker's confirm; its context travels in the headers.
    await tracedPublish(queue, taskId, headers, (traced) =>
      this.#send(queue, content, {
        messageId: taskId,
        correlationId: taskId,
        persistent: true,
        mandatory: true,
        contentType: 'application/json',
        timestamp: Math.floor(Date.now() / 1000),
        ...(traced ? { headers: traced } : {}),
        ...(replyTo ? { replyTo } : {}),
      }),
    );
    return taskId;
  }

  /**
   * Publishes until the broker confirmed it (again after a reconnect, until the publish timeout).
   * @throws QueueNotFoundError when the message (a mandatory one, with a messageId) was routed to no queue.
   */
  async #send(queue: string, content: Buffer, properties: Options.Publish): Promise<void> {
    if (this.#closePromise) throw new Error('the task client is closed');
    const deadline = Date.now() + this.#publishTimeoutMs;
    for (;;) {
      try {
        await this.#wrapper.publish('', queue, content, { ...properties, timeout: Math.max(1, deadline - Date.now()) });
        break;
      } catch (error) {
        // Published on a channel that died before the confirm: the task is not known to be on the broker, so send it
        // again once reconnected (at least once) until the publish timeout.
        if (!isChannelGone(error) || this.#closePromise || Date.now() >= deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    // The broker sends basic.return before the confirm: a returned message was routed to no queue.
    if (this.#returned.delete(properties.messageId as string)) throw new QueueNotFoundError(queue);
  }

  #onReply(message: ConsumeMessage | null): void {
    if (!message) return;
    const id = message.properties.correlationId as string | undefined;
    if (!id || !this.#pending.has(id)) return;
    let reply: TaskReply;
    try {
      reply = JSON.parse(message.content.toString('utf8')) as TaskReply;
    } catch {
      this.#settle(id, new Error(`the reply for task ${id} is not valid JSON`));
      return;
    }
    if (reply.status === 'completed') this.#settle(id, undefined, reply.result);
    else if (reply.status === 'failed' && reply.error.code === 'CANCELLED') this.#settle(id, new TaskCancelledError(id));
    else if (reply.status === 'failed') this.#settle(id, new TaskFailedError(id, reply.error));
    else this.#settle(id, new Error(`the reply for task ${id} has an unknown status`));
  }

  #settle(taskId: string, error: Error | undefined, value?: unknown): void {
    const call = this.#pending.get(taskId);
    if (!call) return;
    this.#pending.delete(taskId);
    clearTimeout(call.timer);
    if (error) call.reject(error);
    else call.resolve(value);
  }
}
