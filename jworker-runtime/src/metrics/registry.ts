import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { ProgressStats } from '../progress/events.js';
import { VERSION } from '../version.js';
import { DEAD_LETTER_REASONS, TASK_OUTCOMES, type TaskRecord, type WorkerEventMap, type WorkerState } from '../worker/worker-events.js';
import type { QueueDepth } from './queue-depth.js';

const PROGRESS_RESULTS = ['sent', 'dropped', 'failed'] as const;
const QUEUE_KINDS = ['work', 'retry', 'delay', 'dead'] as const;

/** Seconds: from a few ms to ten minutes. */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
/** Attempt numbers. */
export const ATTEMPT_BUCKETS = [1, 2, 3, 4, 5, 6, 8, 10, 15, 20];

/** What the metrics read from a worker. A structural slice of BaseWorker, so tests can feed a fake. */
export interface MetricsSource {
  readonly events: {
    on<K extends keyof WorkerEventMap>(event: K, listener: (...args: WorkerEventMap[K]) => void): unknown;
    off<K extends keyof WorkerEventMap>(event: K, listener: (...args: WorkerEventMap[K]) => void): unknown;
  };
  readonly state: WorkerState;
  readonly inFlight: number;
  readonly progressStats: ProgressStats | undefined;
}

export interface WorkerMetricsOptions {
  readonly workerType: string;
  readonly queue: string;
  /** Queue depths for `jworker_queue_messages`; undefined leaves the series out. */
  readonly queueDepth?: () => Promise<QueueDepth | undefined>;
  /** Add prom-client's default process metrics. @default true */
  readonly defaultMetrics?: boolean;
}

/** A worker's metrics on a registry of its own (never prom-client's global one: two workers in a process must not clash). */
export interface WorkerMetrics {
  readonly registry: Registry;
  /** True between a `connected` and a `disconnected` event. */
  readonly connected: boolean;
  /** Stops listening to the worker. Idempotent. */
  dispose(): void;
}

/** Creates the `jworker_*` metrics of one worker and keeps them up to date from its events. */
export function createWorkerMetrics(source: MetricsSource, options: WorkerMetricsOptions): WorkerMetrics {
  const registry = new Registry();
  const base = { worker_type: options.workerType, queue: options.queue };
  const registers = [registry];

  const tasks = new Counter({
    name: 'jworker_tasks_total',
    help: 'Deliveries handled, by how they ended: completed, retried, dead_lettered, abandoned (forced stop) or unrecorded (channel lost).',
    labelNames: ['worker_type', 'queue', 'outcome'] as const,
    registers,
  });
  const deadLettered = new Counter({
    name: 'jworker_dead_lettered_total',
    help: 'Tasks moved to the dead-letter queue by this worker, by reason: permanent, exhausted (out of attempts), invalid or internal.',
    labelNames: ['worker_type', 'queue', 'reason'] as const,
    registers,
  });
  const duration = new Histogram({
    name: 'jworker_task_duration_seconds',
    help: 'Time from delivery to recorded outcome, in seconds, by outcome.',
    labelNames: ['worker_type', 'queue', 'outcome'] as const,
    buckets: DURATION_BUCKETS,
    registers,
  });
  const attempts = new Histogram({
    name: 'jworker_task_attempts',
    help: 'The attempt number of each delivery when it ended (1 = first attempt).',
    labelNames: ['worker_type', 'queue'] as const,
    buckets: ATTEMPT_BUCKETS,
    registers,
  });
  new Gauge({
    name: 'jworker_tasks_in_flight',
    help: 'Tasks running now in this process.',
    labelNames: ['worker_type', 'queue'] as const,
    registers,
    collect() {
      this.set(base, source.inFlight);
    },
  });
  const connectedGauge = new Gauge({
    name: 'jworker_broker_connected',
    help: '1 while the worker has a connection to RabbitMQ, 0 otherwise.',
    labelNames: ['worker_type', 'queue'] as const,
    registers,
  });
  const reconnects = new Counter({
    name: 'jworker_broker_reconnects_total',
    help: 'Connections to RabbitMQ made after the first one (each follows a lost connection or a channel recovery).',
    labelNames: ['worker_type', 'queue'] as const,
    registers,
  });
  const progressSeen = { sent: 0, dropped: 0, failed: 0 };
  const progress = new Counter({
    name: 'jworker_progress_events_total',
    help: 'Progress events by result: sent to the GraphQL endpoint, dropped under pressure, or failed (lost to failed requests).',
    labelNames: ['worker_type', 'queue', 'result'] as const,
    registers,
    collect() {
      const stats = source.progressStats;
      for (const result of PROGRESS_RESULTS) {
        const now = stats?.[result] ?? 0;
        // The reporter's counters only grow; add what is new since the last scrape.
        if (now > progressSeen[result]) this.inc({ ...base, result }, now - progressSeen[result]);
        progressSeen[result] = Math.max(progressSeen[result], now);
      }
    },
  });
  if (options.queueDepth) {
    const read = options.queueDepth;
    new Gauge({
      name: 'jworker_queue_messages',
      help: 'Ready messages in the work queue, in all retry queues together, in all delay buckets together, and in the dead-letter queue (read from RabbitMQ, cached a few seconds).',
      labelNames: ['worker_type', 'queue', 'kind'] as const,
      registers,
      async collect() {
        const depth = await read();
        this.reset();
        if (!depth) return;
        for (const kind of QUEUE_KINDS) this.set({ ...base, kind }, depth[kind]);
      },
    });
  }
  new Gauge({
    name: 'jworker_build_info',
    help: 'Always 1; its labels say which jworker-runtime and Node.js versions this worker runs on.',
    labelNames: ['worker_type', 'queue', 'version', 'node_version'] as const,
    registers,
  }).set({ ...base, version: VERSION, node_version: process.version }, 1);
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });

  // Start every series at zero, so rate() and increase() see the first event.
  for (const outcome of TASK_OUTCOMES) tasks.inc({ ...base, outcome }, 0);
  for (const reason of DEAD_LETTER_REASONS) deadLettered.inc({ ...base, reason }, 0);
  for (const result of PROGRESS_RESULTS) progress.inc({ ...base, result }, 0);
  reconnects.inc(base, 0);
  connectedGauge.set(base, 0);

  let connected = false;
  let connections = 0;
  const onTaskEnd = (record: TaskRecord) => {
    const { outcome } = record;
    tasks.inc({ ...base, outcome });
    duration.observe({ ...base, outcome }, record.durationMs / 1000);
    attempts.observe(base, record.attempt);
    if (outcome === 'dead_lettered' && record.reason) deadLettered.inc({ ...base, reason: record.reason });
  };
  const onConnected = () => {
    connected = true;
    connections++;
    if (connections > 1) reconnects.inc(base);
    connectedGauge.set(base, 1);
  };
  const onDisconnected = () => {
    connected = false;
    connectedGauge.set(base, 0);
  };
  source.events.on('taskEnd', onTaskEnd);
  source.events.on('connected', onConnected);
  source.events.on('disconnected', onDisconnected);

  let disposed = false;
  return {
    registry,
    get connected() {
      return connected;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      source.events.off('taskEnd', onTaskEnd);
      source.events.off('connected', onConnected);
      source.events.off('disconnected', onDisconnected);
    },
  };
}
