import { readFileSync } from 'node:fs';
import { amqpUrlProblem, tlsProblem } from './amqp-url.js';
import { LOG_LEVELS } from './normalize.js';
import type { LogLevel, ProgressOptions, RetryOptions, TlsOptions, WorkerConfig } from './options.js';
import { Problems, urlProblem } from './problems.js';
import { parseRateLimit } from './rate-limit.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Every environment variable {@link loadConfig} reads, with its meaning. Documented in docs/configuration.md. */
export const ENV_VARIABLES = {
  AMQP_URL: 'Broker URL, amqp:// or amqps:// (default amqp://localhost:5672)',
  AMQP_CA_FILE: 'PEM file of the CA that signed the broker certificate (amqps)',
  AMQP_CERT_FILE: 'PEM client certificate file (amqps, mutual TLS)',
  AMQP_KEY_FILE: 'PEM client key file (amqps, mutual TLS)',
  AMQP_HEARTBEAT_SECONDS: 'AMQP heartbeat in seconds (default 5)',
  WORKER_QUEUE: 'Work queue name (default: the worker type)',
  WORKER_QUEUE_TYPE: 'quorum or classic (default quorum)',
  WORKER_CONCURRENCY: 'Tasks in flight at once, the prefetch (default 10)',
  WORKER_DELIVERY_LIMIT: 'Quorum queues: deliveries without an outcome before the broker dead-letters a task (default 20)',
  RETRY_MAX_ATTEMPTS: 'Attempts in all, the first included (default 5)',
  RETRY_INITIAL_DELAY_MS: 'Delay before the second attempt (default 1000)',
  RETRY_MULTIPLIER: 'Growth of each delay (default 2)',
  RETRY_MAX_DELAY_MS: 'Longest delay (default 300000)',
  RETRY_JITTER: '0..1, shortens each delay by up to this fraction at random (default 0)',
  RETRY_MAX_DEFERRALS: 'Retries asked for with retryAfterMs that do not use up an attempt (default: no limit)',
  TASK_TIMEOUT_MS: 'Abort an attempt after this many ms, 0 = never (default 0)',
  SHUTDOWN_TIMEOUT_MS: 'Grace period for in-flight tasks on stop (default 30000)',
  MAX_MESSAGE_BYTES: 'Larger bodies are dead-lettered unread (default 4194304)',
  LOG_LEVEL: 'trace, debug, info, warn, error or fatal (default info)',
  GRAPHQL_URL: 'Progress endpoint; unset = progress reporting off',
  GRAPHQL_TOKEN: 'Sent as Authorization: Bearer <token>; never logged',
  PROGRESS_FLUSH_INTERVAL_MS: 'How often progress events are sent (default 200)',
  PROGRESS_BATCH_SIZE: 'Most events per request (default 500)',
  PROGRESS_TIMEOUT_MS: 'Progress request timeout (default 5000)',
  PROGRESS_MAX_BUFFERED_EVENTS: 'Most progress events held in memory; past it PROGRESS events are dropped first (default 10000)',
  PROGRESS_FLUSH_TIMEOUT_MS: 'How long a graceful stop waits to send pending progress events (default 5000)',
  METRICS_PORT: 'Serve /metrics, /healthz, /readyz on this port; unset = off',
  METRICS_HOST: 'Address the metrics server binds to (default 0.0.0.0)',
  REPLY_TO_ALLOW: 'Comma-separated reply queue patterns (* wildcard) answered besides direct reply-to, amq.gen-* and *.replies',
  CANCEL_WINDOW_MS: 'How long a cancel is remembered, in ms; 0 = cancelling off (default 86400000, 24 h)',
  WORKER_RATE_LIMIT: 'Most task starts per period in one process: 20/s, 600/m or 1000/h (default: no limit)',
  GRAPHQL_ALLOW_INSECURE_TOKEN: 'true: send GRAPHQL_TOKEN over plain http:// to a host that is not loopback (default false)',
} as const;

function intVar(p: Problems, env: Env, name: string, min: number, max = 2 ** 31 - 1): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw.trim());
  if (!Number.isInteger(value) || value < min || value > max || !/^-?\d+$/.test(raw.trim())) {
    p.add(name, raw, `an integer from ${min} to ${max}`);
    return undefined;
  }
  return value;
}

function rateLimitVar(p: Problems, env: Env): string | undefined {
  const raw = env.WORKER_RATE_LIMIT;
  if (raw === undefined || raw.trim() === '') return undefined;
  if (parseRateLimit(raw) === undefined) p.add('WORKER_RATE_LIMIT', raw, 'a count per second, minute or hour, like 20/s, 600/m or 1000/h');
  return raw.trim();
}

function numVar(p: Problems, env: Env, name: string, min: number, max: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw.trim());
  if (!Number.isFinite(value) || value < min || value > max) {
    p.add(name, raw, `a number from ${min} to ${max}`);
    return undefined;
  }
  return value;
}

function strVar(env: Env, name: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
}

function fileVar(p: Problems, env: Env, name: string): Buffer | undefined {
  const path = strVar(env, name);
  if (path === undefined) return undefined;
  try {
    return readFileSync(path);
  } catch (error) {
    p.add(name, path, `a readable file (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`);
    return undefined;
  }
}

function boolVar(p: Problems, env: Env, name: string): boolean | undefined {
  const raw = strVar(env, name)?.toLowerCase();
  if (raw === undefined) return undefined;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  p.add(name, env[name], 'true or false');
  return undefined;
}

function listVar(env: Env, name: string): string[] | undefined {
  const raw = strVar(env, name);
  if (raw === undefined) return undefined;
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

/** Drops undefined fields so that defaults given in code are not overwritten by absent variables. */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/**
 * Reads the worker configuration from environment variables (see {@link ENV_VARIABLES}).
 * Absent variables keep the defaults; merge with options in code as `{ ...loadConfig(), concurrency: 4 }`.
 *
 * @throws ConfigError listing every invalid variable, with its value and what was expected.
 * @example
 * const worker = new EmailWorker(loadConfig());
 */
export function loadConfig(env: Env = process.env): WorkerConfig {
  const p = new Problems();

  const amqpUrl = strVar(env, 'AMQP_URL');
  if (amqpUrl !== undefined) {
    const problem = amqpUrlProblem(amqpUrl);
    if (problem) p.list.push(`AMQP_URL: expected ${problem}, got a value that is not one (not shown: it may hold a password)`);
  }

  const queueType = strVar(env, 'WORKER_QUEUE_TYPE');
  if (queueType !== undefined && queueType !== 'quorum' && queueType !== 'classic') {
    p.add('WORKER_QUEUE_TYPE', queueType, '"quorum" or "classic"');
  }

  const logLevel = strVar(env, 'LOG_LEVEL')?.toLowerCase();
  if (logLevel !== undefined && !LOG_LEVELS.includes(logLevel as LogLevel)) {
    p.add('LOG_LEVEL', env.LOG_LEVEL, LOG_LEVELS.join(', '));
  }

  const retry: RetryOptions = defined({
    maxAttempts: intVar(p, env, 'RETRY_MAX_ATTEMPTS', 1, 1000),
    initialDelayMs: intVar(p, env, 'RETRY_INITIAL_DELAY_MS', 0),
    multiplier: numVar(p, env, 'RETRY_MULTIPLIER', 1, 100),
    maxDelayMs: intVar(p, env, 'RETRY_MAX_DELAY_MS', 0),
    jitter: numVar(p, env, 'RETRY_JITTER', 0, 1),
    maxDeferrals: intVar(p, env, 'RETRY_MAX_DEFERRALS', 0, 1_000_000),
  });

  const tls: TlsOptions = defined({
    ca: fileVar(p, env, 'AMQP_CA_FILE'),
    cert: fileVar(p, env, 'AMQP_CERT_FILE'),
    key: fileVar(p, env, 'AMQP_KEY_FILE'),
  });

  if (amqpUrl !== undefined && amqpUrlProblem(amqpUrl) === undefined) {
    const problem = tlsProblem(amqpUrl, tls);
    if (problem) p.list.push(problem);
  }

  const graphqlUrl = strVar(env, 'GRAPHQL_URL');
  if (graphqlUrl !== undefined) {
    const problem = urlProblem(graphqlUrl, ['http:', 'https:']);
    if (problem) p.add('GRAPHQL_URL', graphqlUrl, problem);
  }
  const progress: ProgressOptions = defined({
    url: graphqlUrl,
    token: strVar(env, 'GRAPHQL_TOKEN'),
    flushIntervalMs: intVar(p, env, 'PROGRESS_FLUSH_INTERVAL_MS', 1, 3_600_000),
    maxBatchSize: intVar(p, env, 'PROGRESS_BATCH_SIZE', 1, 100_000),
    requestTimeoutMs: intVar(p, env, 'PROGRESS_TIMEOUT_MS', 1),
    maxBufferedEvents: intVar(p, env, 'PROGRESS_MAX_BUFFERED_EVENTS', 1, 10_000_000),
    flushTimeoutMs: intVar(p, env, 'PROGRESS_FLUSH_TIMEOUT_MS', 0),
    allowInsecureToken: boolVar(p, env, 'GRAPHQL_ALLOW_INSECURE_TOKEN'),
  });

  const config: WorkerConfig = defined({
    amqpUrl,
    queue: strVar(env, 'WORKER_QUEUE'),
    queueType: queueType as WorkerConfig['queueType'],
    concurrency: intVar(p, env, 'WORKER_CONCURRENCY', 1, 65535),
    deliveryLimit: intVar(p, env, 'WORKER_DELIVERY_LIMIT', 1, 10_000),
    retry: Object.keys(retry).length > 0 ? retry : undefined,
    taskTimeoutMs: intVar(p, env, 'TASK_TIMEOUT_MS', 0),
    shutdownTimeoutMs: intVar(p, env, 'SHUTDOWN_TIMEOUT_MS', 0),
    maxMessageBytes: intVar(p, env, 'MAX_MESSAGE_BYTES', 1, 512 * 1024 * 1024),
    heartbeatSeconds: intVar(p, env, 'AMQP_HEARTBEAT_SECONDS', 0, 3600),
    logLevel: logLevel as LogLevel | undefined,
    tls: Object.keys(tls).length > 0 ? tls : undefined,
    progress: Object.keys(progress).length > 0 ? progress : undefined,
    metricsPort: intVar(p, env, 'METRICS_PORT', 0, 65535),
    metricsHost: strVar(env, 'METRICS_HOST'),
    replyToAllow: listVar(env, 'REPLY_TO_ALLOW'),
    cancelWindowMs: intVar(p, env, 'CANCEL_WINDOW_MS', 0),
    rateLimit: rateLimitVar(p, env),
  });
  p.throwIfAny();
  return config;
}
