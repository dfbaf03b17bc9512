import type Logger from 'bunyan';
import type { RetryPolicy } from '../retry/backoff.js';
import { DEFAULT_CANCEL_WINDOW_MS } from '../wire/cancel.js';
import { queueNameProblem } from '../wire/names.js';
import { amqpUrlProblem, tlsProblem } from './amqp-url.js';
import type { LogLevel, TlsOptions, WorkerConfig } from './options.js';
import { checkNumber, describe, Problems } from './problems.js';
import { checkProgressOptions, type ProgressSettings } from './progress-settings.js';
import { parseRateLimit, type RateLimit } from './rate-limit.js';

/** The configuration with every default filled in. Internal. */
export interface ResolvedConfig {
  readonly amqpUrl: string;
  readonly queue: string;
  readonly queueType: 'quorum' | 'classic';
  readonly concurrency: number;
  readonly retry: RetryPolicy;
  readonly taskTimeoutMs: number;
  readonly shutdownTimeoutMs: number;
  readonly maxMessageBytes: number;
  readonly deliveryLimit: number;
  readonly logLevel: LogLevel;
  readonly logger: Logger | undefined;
  readonly tls: TlsOptions | undefined;
  readonly heartbeatSeconds: number;
  /** Progress reporting, checked and filled in; undefined when it is off. */
  readonly progress: ProgressSettings | undefined;
  readonly metricsPort: number | undefined;
  readonly metricsHost: string;
  readonly replyToAllow: readonly string[];
  /** 0: cancelling off. */
  readonly cancelWindowMs: number;
  readonly rateLimit: RateLimit | undefined;
}

export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

export const DEFAULTS = {
  amqpUrl: 'amqp://localhost:5672',
  queueType: 'quorum',
  concurrency: 10,
  maxAttempts: 5,
  initialDelayMs: 1000,
  multiplier: 2,
  maxDelayMs: 300_000,
  jitter: 0,
  taskTimeoutMs: 0,
  shutdownTimeoutMs: 30_000,
  maxMessageBytes: 4 * 1024 * 1024,
  deliveryLimit: 20,
  logLevel: 'info',
  heartbeatSeconds: 5,
  metricsHost: '0.0.0.0',
} as const;

function checkRateLimit(p: Problems, value: unknown): RateLimit | undefined {
  if (value === undefined) return undefined;
  const limit = typeof value === 'string' ? parseRateLimit(value) : undefined;
  if (limit === undefined)
    p.add('rateLimit (WORKER_RATE_LIMIT)', value, 'a count per second, minute or hour, like "20/s", "600/m" or "1000/h"');
  return limit;
}

const REPLY_PATTERN = /^[A-Za-z0-9._:*-]+$/;

/**
 * Fills in defaults and checks every value. `workerType` is the queue name's fallback.
 * @throws ConfigError naming every invalid field, its value and what was expected.
 */
export function normalizeConfig(config: WorkerConfig, workerType: string): ResolvedConfig {
  const p = new Problems();
  const amqpUrl = config.amqpUrl ?? DEFAULTS.amqpUrl;
  const amqpProblem = amqpUrlProblem(amqpUrl);
  if (amqpProblem) p.list.push(`amqpUrl: expected ${amqpProblem}, got a value that is not one (not shown: it may hold a password)`);

  const queue = config.queue ?? workerType;
  const qProblem = typeof queue === 'string' ? queueNameProblem(queue) : 'expected a string';
  if (qProblem) p.list.push(`queue: ${qProblem}, got ${describe(queue)}`);

  const queueType = config.queueType ?? DEFAULTS.queueType;
  if (queueType !== 'quorum' && queueType !== 'classic') p.add('queueType', queueType, '"quorum" or "classic"');

  const r = config.retry ?? {};
  const retry: RetryPolicy = {
    maxAttempts: checkNumber(p, 'retry.maxAttempts', r.maxAttempts, DEFAULTS.maxAttempts, { min: 1, max: 1000, integer: true }),
    initialDelayMs: checkNumber(p, 'retry.initialDelayMs', r.initialDelayMs, DEFAULTS.initialDelayMs, { min: 0, integer: true }),
    multiplier: checkNumber(p, 'retry.multiplier', r.multiplier, DEFAULTS.multiplier, { min: 1, max: 100 }),
    maxDelayMs: checkNumber(p, 'retry.maxDelayMs', r.maxDelayMs, DEFAULTS.maxDelayMs, { min: 0, max: 2 ** 31 - 1, integer: true }),
    jitter: checkNumber(p, 'retry.jitter', r.jitter, DEFAULTS.jitter, { min: 0, max: 1 }),
    maxDeferrals:
      r.maxDeferrals === undefined
        ? undefined
        : checkNumber(p, 'retry.maxDeferrals', r.maxDeferrals, 0, { min: 0, max: 1_000_000, integer: true }),
  };

  const logLevel = config.logLevel ?? DEFAULTS.logLevel;
  if (!LOG_LEVELS.includes(logLevel)) p.add('logLevel', logLevel, LOG_LEVELS.join(', '));

  // Reporting is on only with a URL; then every progress option is checked here, with the rest.
  const progress = config.progress?.url === undefined ? undefined : checkProgressOptions(p, config.progress);

  const tlsIssue = amqpProblem ? undefined : tlsProblem(amqpUrl, config.tls);
  if (tlsIssue) p.list.push(tlsIssue);

  const replyToAllow = config.replyToAllow ?? [];
  if (!Array.isArray(replyToAllow)) p.add('replyToAllow', replyToAllow, 'an array of queue name patterns');
  else {
    for (const pattern of replyToAllow) {
      if (typeof pattern !== 'string' || !REPLY_PATTERN.test(pattern) || /^\*+$/.test(pattern)) {
        p.add(
          'replyToAllow (REPLY_TO_ALLOW)',
          pattern,
          'queue name patterns of letters, digits, ".", "_", ":", "-" and "*", not "*" alone',
        );
      }
    }
  }

  const resolved: ResolvedConfig = {
    amqpUrl,
    queue,
    queueType,
    concurrency: checkNumber(p, 'concurrency', config.concurrency, DEFAULTS.concurrency, { min: 1, max: 65535, integer: true }),
    retry,
    taskTimeoutMs: checkNumber(p, 'taskTimeoutMs', config.taskTimeoutMs, DEFAULTS.taskTimeoutMs, {
      min: 0,
      max: 2 ** 31 - 1,
      integer: true,
    }),
    shutdownTimeoutMs: checkNumber(p, 'shutdownTimeoutMs', config.shutdownTimeoutMs, DEFAULTS.shutdownTimeoutMs, {
      min: 0,
      max: 2 ** 31 - 1,
      integer: true,
    }),
    maxMessageBytes: checkNumber(p, 'maxMessageBytes', config.maxMessageBytes, DEFAULTS.maxMessageBytes, {
      min: 1,
      max: 512 * 1024 * 1024,
      integer: true,
    }),
    deliveryLimit: checkNumber(p, 'deliveryLimit', config.deliveryLimit, DEFAULTS.deliveryLimit, { min: 1, max: 10_000, integer: true }),
    logLevel,
    logger: config.logger,
    tls: config.tls,
    heartbeatSeconds: checkNumber(p, 'heartbeatSeconds', config.heartbeatSeconds, DEFAULTS.heartbeatSeconds, {
      min: 0,
      max: 3600,
      integer: true,
    }),
    progress,
    metricsPort:
      config.metricsPort === undefined
        ? undefined
        : checkNumber(p, 'metricsPort', config.metricsPort, 0, { min: 0, max: 65535, integer: true }),
    metricsHost: config.metricsHost ?? DEFAULTS.metricsHost,
    replyToAllow,
    cancelWindowMs: checkNumber(p, 'cancelWindowMs (CANCEL_WINDOW_MS)', config.cancelWindowMs, DEFAULT_CANCEL_WINDOW_MS, {
      min: 0,
      max: 365 * 24 * 3600 * 1000,
      integer: true,
    }),
    rateLimit: checkRateLimit(p, config.rateLimit),
  };
  p.throwIfAny();
  return resolved;
}
