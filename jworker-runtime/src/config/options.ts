import type Logger from 'bunyan';
import type { TaskEvent } from '../wire/task-event.js';

/** Log levels, as bunyan names them. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** How failed attempts are retried. Delay before attempt n+1: `min(maxDelayMs, initialDelayMs × multiplier^(n−1))`. */
export interface RetryOptions {
  /** Attempts in all, the first included. 1 means never retry. @default 5 */
  readonly maxAttempts?: number;
  /** Delay before the second attempt, in ms. @default 1000 */
  readonly initialDelayMs?: number;
  /** Each delay is this many times the one before. @default 2 */
  readonly multiplier?: number;
  /** No delay is longer than this, in ms. @default 300000 (5 minutes) */
  readonly maxDelayMs?: number;
  /** 0..1: shortens each delay by up to this fraction, at random, to spread retries out. @default 0 */
  readonly jitter?: number;
  /**
   * How many retries asked for with `WorkerError`'s `retryAfterMs` a task may have without using up an attempt; past
   * that, such a failure counts as an attempt (still waiting at least `retryAfterMs`). @default no limit
   */
  readonly maxDeferrals?: number;
}

/** TLS material for `amqps://` URLs, passed through to amqplib. */
export interface TlsOptions {
  /** PEM CA certificate(s) that sign the broker's certificate. */
  readonly ca?: string | Buffer | ReadonlyArray<string | Buffer>;
  /** PEM client certificate, for mutual TLS. */
  readonly cert?: string | Buffer;
  /** PEM client key, for mutual TLS. */
  readonly key?: string | Buffer;
  /** Passphrase of `key`. */
  readonly passphrase?: string;
  /** Verify the broker's certificate. Turn off only for local testing. @default true */
  readonly rejectUnauthorized?: boolean;
  /** The server name to verify, when it differs from the URL's host. */
  readonly servername?: string;
}

/** GraphQL progress reporting. Off unless `url` is set. */
export interface ProgressOptions {
  /** The GraphQL endpoint. Absent: reporting is off and nothing else changes. */
  readonly url?: string;
  /** Sent as `Authorization: Bearer <token>`; never logged. */
  readonly token?: string;
  /** Extra HTTP headers for every request. */
  readonly headers?: Readonly<Record<string, string>>;
  /** How often gathered events are sent, in ms. @default 200 */
  readonly flushIntervalMs?: number;
  /** The most events in one request. @default 500 */
  readonly maxBatchSize?: number;
  /** One request's time limit, in ms. @default 5000 */
  readonly requestTimeoutMs?: number;
  /** The most events held in memory; past it PROGRESS events are dropped first. @default 10000 */
  readonly maxBufferedEvents?: number;
  /** How long a graceful stop waits to flush pending events, in ms. @default 5000 */
  readonly flushTimeoutMs?: number;
  /** A custom GraphQL document, for an existing schema. Requires `variables`. */
  readonly document?: string;
  /** Maps a batch of events to the variables of `document`. @default (events) => ({ events }) */
  readonly variables?: (events: readonly TaskEvent[]) => Record<string, unknown>;
  /**
   * Send `token` over plain `http://` to a host that is not loopback (a trusted private network). Without it such a
   * configuration is refused: the token would travel in clear. @default false
   */
  readonly allowInsecureToken?: boolean;
}

/** Everything a worker can be configured with. Every field is optional; {@link loadConfig} fills them from the environment. */
export interface WorkerConfig {
  /** The broker URL, `amqp://` or `amqps://`. @default 'amqp://localhost:5672' */
  readonly amqpUrl?: string;
  /** The work queue name. @default the worker type */
  readonly queue?: string;
  /** `quorum` (replicated, with a delivery limit) or `classic`. @default 'quorum' */
  readonly queueType?: 'quorum' | 'classic';
  /** The most tasks in flight at once in this process (the AMQP prefetch). @default 10 */
  readonly concurrency?: number;
  /** Retry policy. */
  readonly retry?: RetryOptions;
  /** Aborts `context.signal` and fails the attempt (transiently) after this many ms; 0 turns it off. @default 0 */
  readonly taskTimeoutMs?: number;
  /** On stop, how long in-flight tasks may run before they are aborted and left for redelivery, in ms. @default 30000 */
  readonly shutdownTimeoutMs?: number;
  /** Bodies larger than this go to the dead-letter queue unread, in bytes. @default 4194304 (4 MiB) */
  readonly maxMessageBytes?: number;
  /**
   * Quorum queues only: after this many deliveries without an outcome (a task that keeps crashing the process),
   * the broker moves the message to `<queue>.dead`. @default 20
   */
  readonly deliveryLimit?: number;
  /** Log level of the default logger. @default 'info' */
  readonly logLevel?: LogLevel;
  /** A bunyan logger to use instead of the default one (JSON on stdout). */
  readonly logger?: Logger;
  /** TLS options for `amqps://`. */
  readonly tls?: TlsOptions;
  /** AMQP heartbeat, in seconds. @default 5 */
  readonly heartbeatSeconds?: number;
  /** GraphQL progress reporting. */
  readonly progress?: ProgressOptions;
  /** Serve `/metrics`, `/healthz` and `/readyz` on this port; absent: no HTTP server. */
  readonly metricsPort?: number;
  /** Host the metrics server binds to. @default '0.0.0.0' */
  readonly metricsHost?: string;
  /**
   * More reply queues this worker may answer, as patterns (`*` matches any run of characters), besides direct reply-to,
   * server-named `amq.gen-…` queues and names ending in `.replies`. Its own queues are never allowed. @default []
   */
  readonly replyToAllow?: readonly string[];
  /**
   * How long a cancel (`TaskClient.cancel`) is remembered, in ms: a cancelled task that arrives later than that runs.
   * Also the retention of the `<queue>.cancel` stream when this worker is the first to declare it. 0 turns cancelling
   * off (no stream). @default 86400000 (24 h)
   */
  readonly cancelWindowMs?: number;
  /**
   * The most tasks this process starts per period: `'20/s'`, `'600/m'`, `'1000/h'`, spread evenly (one every
   * period/count). Tasks beyond it wait, unstarted, in the prefetch. Per process: replicas multiply it.
   * @default no limit
   */
  readonly rateLimit?: string;
}
