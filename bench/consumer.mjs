// One benchmark consumer, run as its own child process by bench/run.mjs so CPU and memory are the worker's alone.
// BENCH_CONFIG (JSON) says what to run; results go back over IPC. Modes:
//   drain  consume `tasks` completions from a pre-filled queue (variants raw, default, noop, progress, fail5, io, quiet,
//          traced),
//          report figures;
//   serve  a noop worker that answers TaskClient.call until told to stop (latency);
//   probe  a worker whose tasks fail their first attempts, to observe the broker-side retry delays at low load;
//   soak   a noop worker draining `batches` batches the parent fills one after another, reporting memory after each.
//   share  one of N workers draining one pre-filled queue together (`npm run bench:scaling`): starts consuming when
//          told `go`, reports its completions every 100 ms, stops when told.
//   endurance  a worker under the continuous load of `npm run soak` (tasks await `latencyMs`, flagged ones fail their
//          first attempt) until told to stop; reports its completions every second and a resource sample every
//          `sampleSeconds` (RSS, heap, event-loop delay, open handles).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import amqplib from 'amqplib';
import bunyan from 'bunyan';

const { BaseWorker } = await import(JSON.parse(process.env.BENCH_CONFIG ?? '{}').runtime);

const config = JSON.parse(process.env.BENCH_CONFIG ?? '{}');
const send = (message) => new Promise((resolve) => process.send(message, resolve));

/** Logs at info (the default level) into a sink that does not reach the terminal; bunyan still formats every line. */
function silentLogger(level = 'info') {
  const sink = new Writable({
    write(_chunk, _encoding, callback) {
      callback();
    },
  });
  return bunyan.createLogger({ name: 'bench', level, stream: sink });
}

class BenchWorker extends BaseWorker {
  #failAttempts;
  #latencyMs;
  constructor(workerConfig, failAttempts, latencyMs) {
    super(workerConfig);
    this.#failAttempts = failAttempts;
    this.#latencyMs = latencyMs;
  }
  getWorkerType() {
    return 'bench';
  }
  async executeTask(task, context) {
    if (task.fail && context.attempt <= this.#failAttempts) throw new Error(`transient failure of attempt ${context.attempt} (bench)`);
    if (this.#latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.#latencyMs));
    return { ok: true };
  }
}

/** `logger: 'default'` passes none, so the worker logs as a user's does: JSON lines on stdout. */
function makeWorker({ progress = false, failAttempts = 0, retry, logLevel, logger, concurrency, latencyMs = 0 } = {}) {
  return new BenchWorker(
    {
      amqpUrl: config.amqpUrl,
      queue: config.queue,
      concurrency: concurrency ?? config.prefetch,
      ...(logger === 'default' ? {} : { logger: silentLogger(logLevel) }),
      ...(retry ? { retry } : {}),
      ...(progress ? { progress: { url: config.progressUrl } } : {}),
    },
    failAttempts,
    latencyMs,
  );
}

/** Times the drain from the first delivery to the `tasks`-th completion, with this process's CPU over the same span. */
function drainMeter(tasks) {
  let first;
  let cpu0;
  let done = 0;
  let resolve;
  const finished = new Promise((r) => {
    resolve = r;
  });
  return {
    finished,
    started() {
      if (first !== undefined) return;
      first = performance.now();
      cpu0 = process.cpuUsage();
    },
    /** Seconds since the first delivery. */
    elapsed() {
      return (performance.now() - first) / 1000;
    },
    completed() {
      done++;
      if (done !== tasks) return;
      const seconds = this.elapsed();
      const cpu = process.cpuUsage(cpu0);
      resolve({ tasks, seconds, cpuMicros: cpu.user + cpu.system });
    },
  };
}

/** Gaps between a retried attempt's end and the next attempt's start, keyed by the configured delay. */
function retryObserver(worker, retryDelay, multiplier) {
  const retriedAt = new Map();
  const gaps = {};
  worker.events.on('taskEnd', (record) => {
    if (record.outcome === 'retried') retriedAt.set(record.taskId, performance.now());
  });
  worker.events.on('taskStart', ({ taskId, attempt }) => {
    const at = retriedAt.get(taskId);
    if (at === undefined || attempt < 2) return;
    retriedAt.delete(taskId);
    const configured = Math.round(retryDelay * multiplier ** (attempt - 2));
    gaps[configured] ??= [];
    gaps[configured].push(performance.now() - at);
  });
  return gaps;
}

function peakRssBytes() {
  return process.resourceUsage().maxRSS * 1024;
}

/**
 * Raw amqplib: `consume`, `JSON.parse`, `ack`. As `rawfail5`, it also does fail5's retries by hand, as any
 * at-least-once consumer must: a failing task's first delivery is copied to the retry queue (persistent, with a header
 * saying it was retried), the copy's confirm awaited, then the delivery acked; the copy comes back through the queue's
 * TTL and dead-lettering, and is acked as done.
 */
async function drainRaw(variant) {
  const retrying = variant === 'rawfail5';
  const meter = drainMeter(config.tasks);
  const connection = await amqplib.connect(config.amqpUrl);
  const channel = retrying ? await connection.createConfirmChannel() : await connection.createChannel();
  await channel.prefetch(config.prefetch);
  await channel.consume(
    config.queue,
    (message) => {
      meter.started();
      const task = JSON.parse(message.content.toString('utf8'));
      if (retrying && task.fail && message.properties.headers?.['x-bench-retried'] === undefined) {
        const headers = { ...message.properties.headers, 'x-bench-retried': 1 };
        channel.sendToQueue(config.retryQueue, message.content, { ...message.properties, headers, persistent: true }, (error) => {
          if (error) channel.nack(message);
          else channel.ack(message);
        });
        return;
      }
      channel.ack(message);
      meter.completed();
    },
    { noAck: false },
  );
  const result = await meter.finished;
  const peakRss = peakRssBytes();
  await channel.close();
  await connection.close();
  return { ...result, peakRss };
}

/**
 * The traced variant: an OpenTelemetry SDK recording every span (one per attempt: the pre-filled messages carry no
 * trace context, so each is a root span), batched to an exporter that drops them, so no network is measured.
 */
async function registerTracing() {
  const { context, propagation, trace } = await import('@opentelemetry/api');
  const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
  const { W3CTraceContextPropagator } = await import('@opentelemetry/core');
  const { BatchSpanProcessor, TracerProvider } = await import('@opentelemetry/sdk-trace');
  const exporter = { export: (_spans, done) => done({ code: 0 }), shutdown: async () => {} };
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new BatchSpanProcessor({ exporter })] }));
}

async function drainWorker(variant) {
  if (variant === 'traced') await registerTracing();
  const meter = drainMeter(config.tasks);
  const fail = variant === 'fail5';
  const io = variant === 'io';
  const worker = makeWorker({
    progress: variant === 'progress',
    logLevel: variant === 'quiet' ? 'warn' : 'info',
    logger: variant === 'default' || io ? 'default' : undefined,
    failAttempts: fail ? 1 : 0,
    retry: fail ? { maxAttempts: 3, initialDelayMs: config.retryDelay, multiplier: 2 } : undefined,
    ...(io ? { concurrency: config.ioConcurrency, latencyMs: config.ioLatency } : {}),
  });
  // Event-loop delay while tasks flow (what a timer or a health probe waits for), sampled every 10 ms.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  const gaps = fail ? retryObserver(worker, config.retryDelay, 2) : undefined;
  worker.events.once('taskStart', () => loopDelay.enable());
  worker.events.on('taskStart', () => meter.started());
  // When every task had its first attempt: the rest of the drain is waiting for retries to come back from the broker.
  let firstPassSeconds = 0;
  worker.events.on('taskEnd', (record) => {
    if (record.attempt === 1) firstPassSeconds = meter.elapsed();
    if (record.outcome === 'completed') meter.completed();
  });
  await worker.start();
  const result = await meter.finished;
  if (fail) result.firstPassSeconds = firstPassSeconds;
  loopDelay.disable();
  const peakRss = peakRssBytes();
  await worker.stop();
  const loopDelayP99Ms = loopDelay.count > 0 ? loopDelay.percentile(99) / 1e6 : undefined;
  return { ...result, peakRss, retryGaps: gaps, progress: worker.progressStats, loopDelayP99Ms };
}

async function serve() {
  const worker = makeWorker();
  await worker.start();
  await send({ type: 'ready' });
  await new Promise((resolve) => process.once('message', resolve));
  await worker.stop();
  return {};
}

async function probe() {
  const worker = makeWorker({ failAttempts: 3, retry: { maxAttempts: 4, initialDelayMs: config.retryDelay, multiplier: 2 } });
  const gaps = retryObserver(worker, config.retryDelay, 2);
  let done = 0;
  const finished = new Promise((resolve) => {
    worker.events.on('taskEnd', (record) => {
      if (record.outcome === 'completed' && ++done === config.tasks) resolve();
    });
  });
  await worker.start();
  await send({ type: 'ready' });
  await finished;
  await worker.stop();
  return { retryGaps: gaps };
}

async function soak() {
  const worker = makeWorker();
  let done = 0;
  let next;
  worker.events.on('taskEnd', (record) => {
    if (record.outcome === 'completed' && ++done === config.tasks) next?.();
  });
  await worker.start();
  const batches = [];
  for (let b = 0; b < config.batches; b++) {
    const drained = new Promise((resolve) => {
      next = resolve;
    });
    await send({ type: 'ready', batch: b });
    await drained;
    done = 0;
    globalThis.gc?.();
    const { rss, heapUsed } = process.memoryUsage();
    batches.push({ rss, heapUsed });
  }
  const peakRss = peakRssBytes();
  await worker.stop();
  return { batches, peakRss };
}

async function share() {
  const worker = makeWorker({ latencyMs: config.latencyMs, concurrency: config.concurrency });
  let completed = 0;
  worker.events.on('taskEnd', (record) => {
    if (record.outcome === 'completed') completed++;
  });
  const next = () => new Promise((resolve) => process.once('message', resolve));
  await send({ type: 'ready' });
  await next();
  const cpu0 = process.cpuUsage();
  await worker.start();
  const counter = setInterval(() => void send({ type: 'count', completed }), 100);
  await next();
  clearInterval(counter);
  const cpu = process.cpuUsage(cpu0);
  await worker.stop();
  return { completed, cpuMicros: cpu.user + cpu.system, peakRss: peakRssBytes() };
}

async function endurance() {
  const worker = makeWorker({
    failAttempts: 1,
    latencyMs: config.latencyMs,
    concurrency: config.concurrency,
    retry: { maxAttempts: 3, initialDelayMs: config.retryDelay, multiplier: 2 },
  });
  const counts = { completed: 0, retried: 0, dead: 0 };
  worker.events.on('taskEnd', (record) => {
    if (record.outcome === 'completed') counts.completed++;
    else if (record.outcome === 'retried') counts.retried++;
    else counts.dead++;
  });
  // Event-loop delay over each sampling window (reset after every sample), at 10 ms resolution.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const started = performance.now();
  const sample = () => {
    const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
    const delay =
      loopDelay.count > 0 ? { p50: loopDelay.percentile(50) / 1e6, p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 } : {};
    loopDelay.reset();
    // Timers come and go with the tasks in flight (each awaits one): counted apart from the other handles.
    const resources = process.getActiveResourcesInfo();
    const timers = resources.filter((type) => type === 'Timeout').length;
    const handles = resources.length - timers;
    return {
      seconds: (performance.now() - started) / 1000,
      rss,
      heapUsed,
      heapTotal,
      external,
      loopDelayMs: delay,
      handles,
      timers,
      ...counts,
    };
  };
  await worker.start();
  const counter = setInterval(() => void send({ type: 'count', ...counts }), 1000);
  const sampler = setInterval(() => void send({ type: 'sample', sample: sample() }), config.sampleSeconds * 1000);
  await send({ type: 'ready' });
  await new Promise((resolve) => process.once('message', resolve));
  clearInterval(counter);
  clearInterval(sampler);
  await worker.stop();
  return { ...counts, peakRss: peakRssBytes() };
}

const drains = { raw: drainRaw, rawfail5: drainRaw };
const modes = { drain: () => (drains[config.variant] ?? drainWorker)(config.variant), serve, probe, soak, share, endurance };
try {
  const result = await modes[config.mode]();
  await send({ type: 'result', result });
  process.exit(0);
} catch (error) {
  await send({ type: 'error', message: String(error?.stack ?? error) });
  process.exit(1);
}
