import type Logger from 'bunyan';
import { ConfigError } from '../errors/worker-error.js';
import type { RetryPolicy } from '../retry/backoff.js';
import { queueNameProblem } from '../transport/names.js';
import type { LogLevel, ProgressOptions, TlsOptions, WorkerConfig } from './options.js';

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
  readonly progress: ProgressOptions | undefined;
  readonly metricsPort: number | undefined;
  readonly metricsHost: string;
  readonly replyToAllow: readonly string[];
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

/** Collects problems so one error can name every bad setting. */
export class Problems {
  readonly list: string[] = [];
  add(name: string, value: unknown, expected: string): void {
    this.list.push(`${name}: expected ${expected}, got ${describe(value)}`);
  }
  throwIfAny(): void {
    if (this.list.length > 0) throw new ConfigError(this.list);
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  return typeof value;
}

/** Checks that `value` is a number in range; returns it or the fallback (after recording a problem). */
export function checkNumber(
  problems: Problems,
  name: string,
  value: unknown,
  fallback: number,
  rule: { min: number; max?: number; integer?: boolean },
): number {
  if (value === undefined) return fallback;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    value >= rule.min &&
    (rule.max === undefined || value <= rule.max) &&
    (!rule.integer || Number.isInteger(value));
  if (ok) return value;
  const kind = rule.integer ? 'an integer' : 'a number';
  const range = rule.max === undefined ? `>= ${rule.min}` : `from ${rule.min} to ${rule.max}`;
  problems.add(name, value, `${kind} ${range}`);
  return fallback;
}

/** Checks each comma-separated broker URL (the nodes of a cluster); returns a problem description or undefined. */
export function amqpUrlProblem(value: string): string | undefined {
  const urls = value
    .split(',')
    .map((url) => url.trim())
    .filter((url) => url.length > 0);
  if (urls.length === 0) return 'a URL (amqp://… or amqps://…)';
  for (const url of urls) {
    const problem = urlProblem(url, ['amqp:', 'amqps:']);
    if (problem) return urls.length > 1 ? `${problem} for each comma-separated node` : problem;
  }
  return undefined;
}

/**
 * TLS material with a node reached over plain `amqp://`: the files would be ignored and the password sent in clear.
 * Returns a problem description or undefined.
 */
export function tlsProblem(amqpUrl: string, tls: TlsOptions | undefined): string | undefined {
  if (tls?.ca === undefined && tls?.cert === undefined && tls?.key === undefined) return undefined;
  const plain = amqpUrl.split(',').some((url) => url.trim().toLowerCase().startsWith('amqp://'));
  if (!plain) return undefined;
  return (
    'tls (AMQP_CA_FILE, AMQP_CERT_FILE, AMQP_KEY_FILE): TLS files are set but AMQP_URL has an amqp:// node, which does ' +
    'not use TLS: the files would be ignored and the password sent in clear. Use amqps:// for every node'
  );
}

const REPLY_PATTERN = /^[A-Za-z0-9._:*-]+$/;

/** Checks a URL's scheme; returns a problem description or undefined. */
export function urlProblem(value: string, schemes: readonly string[]): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `a URL (${schemes.map((s) => `${s}//…`).join(' or ')})`;
  }
  if (!schemes.includes(url.protocol)) return `a URL with scheme ${schemes.join(' or ')}`;
  return undefined;
}

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
  };

  const logLevel = config.logLevel ?? DEFAULTS.logLevel;
  if (!LOG_LEVELS.includes(logLevel)) p.add('logLevel', logLevel, LOG_LEVELS.join(', '));

  const progress = config.progress;
  if (progress?.url !== undefined) {
    const gqlProblem = urlProblem(progress.url, ['http:', 'https:']);
    if (gqlProblem) p.add('progress.url', progress.url, gqlProblem);
  }
  if (progress?.document !== undefined && progress.variables === undefined) {
    p.list.push('progress.variables: expected a function mapping events to the variables of progress.document, got undefined');
  }

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
    progress: progress?.url === undefined ? undefined : progress,
    metricsPort:
      config.metricsPort === undefined
        ? undefined
        : checkNumber(p, 'metricsPort', config.metricsPort, 0, { min: 0, max: 65535, integer: true }),
    metricsHost: config.metricsHost ?? DEFAULTS.metricsHost,
    replyToAllow,
  };
  p.throwIfAny();
  return resolved;
}
