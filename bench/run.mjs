// `npm run bench`: the jworker runtime against raw amqplib on the same broker, in one run.
// Interleaved rounds (the variant order rotates each round); every variant drains the same pre-filled quorum queue
// of persistent JSON messages in a fresh child process; figures are medians with their spread, and ratios to the
// raw amqplib baseline of the same round. Then: TaskClient.call latency, retry delays, and a memory soak.
// Writes nothing outside the repository (CPU profiles, with --profile, go to bench/.profiles/).
import os from 'node:os';
import { Writable } from 'node:stream';
import amqplib from 'amqplib';
import bunyan from 'bunyan';
import { parseArgs } from './lib/args.mjs';
import { openBroker, QUEUE_TYPE, retryPolicy, uniqueQueue } from './lib/broker.mjs';
import { runConsumer } from './lib/child.mjs';
import { startProgressEndpoint } from './lib/progress-endpoint.mjs';
import { snapshotRuntime } from './lib/runtime.mjs';
import { max, median, min, percentile } from './lib/stats.mjs';

const opts = parseArgs(process.argv.slice(2));
const log = (line) => process.stderr.write(`${line}\n`);
const MB = 1024 * 1024;

// Every child loads one copy of the built runtime, taken now: other builds of dist/ during the run cannot mix in.
const runtime = snapshotRuntime(opts.runtime, 'current');
const before = opts.before ? snapshotRuntime(opts.before, 'before') : undefined;
if (before) opts.variants.push('before');
const { TaskClient, topology } = await import(runtime.entry);
const machine = await describeMachine();
const broker = await openBroker(opts.amqpUrl, topology);
const endpoint = opts.variants.includes('progress') ? await startProgressEndpoint() : undefined;
const base = {
  runtime: runtime.entry,
  amqpUrl: opts.amqpUrl,
  prefetch: opts.prefetch,
  retryDelay: opts.retryDelay,
  ioLatency: opts.ioLatency,
  ioConcurrency: opts.ioConcurrency,
  progressUrl: endpoint?.url,
};
const LABELS = {
  raw: 'raw amqplib (consume, JSON.parse, ack)',
  default: 'jworker as users run it (default logger on stdout, info)',
  noop: 'jworker noop, progress off, info logs to a discarding sink',
  progress: 'jworker noop, GraphQL progress on',
  fail5: `jworker, ${Math.round(opts.failRate * 100)}% transient failures`,
  rawfail5: `raw amqplib, the same failures retried by hand (copy to the retry queue, confirm, ack)`,
  before: `jworker ${opts.beforeVariant}, runtime from ${opts.before}`,
  quiet: 'jworker noop, logging at warn (no task lines)',
  traced: 'jworker noop, OpenTelemetry SDK recording every span',
  io: `jworker, each task awaits ${opts.ioLatency} ms, concurrency ${opts.ioConcurrency}`,
};
const failEvery = Math.max(1, Math.round(1 / opts.failRate));

log(`bench: ${opts.rounds} rounds × ${opts.variants.join(', ')}; ${opts.tasks} tasks of ${opts.bytes} bytes, prefetch ${opts.prefetch}`);
const started = performance.now();
/** variant → per-round results. */
const results = Object.fromEntries(opts.variants.map((v) => [v, []]));
const progressDelivered = [];
try {
  for (let round = 0; round < opts.rounds; round++) {
    const order = opts.variants.map((_, i) => opts.variants[(i + round) % opts.variants.length]);
    for (const variant of order) {
      const r = await drainRound(variant, round);
      results[variant][round] = r;
      log(
        `  round ${round + 1} ${variant.padEnd(8)} ${fmt(r.tasks / r.seconds, 0).padStart(7)} tasks/s  ${fmt(r.cpuMicros / r.tasks, 1).padStart(6)} µs/task  ${fmt(r.peakRss / MB, 0)} MB`,
      );
    }
  }
  const latency = opts.calls > 0 ? await measureLatency() : undefined;
  const probe = await probeRetryDelays();
  const soak = opts.soak > 0 ? await runSoak() : undefined;
  printReport({ latency, probe, soak, elapsed: (performance.now() - started) / 1000 });
} finally {
  await endpoint?.close();
  await broker.close();
}

async function drainRound(variant, round) {
  const queue = uniqueQueue(variant);
  // The `before` row runs another build as --before-variant: same queue setup and tasks as that variant.
  const kind = variant === 'before' ? opts.beforeVariant : variant;
  const failing = kind === 'fail5' || kind === 'rawfail5';
  const retryPolicies = failing ? [retryPolicy({ maxAttempts: 3, initialDelayMs: opts.retryDelay })] : [];
  try {
    await broker.declare(queue);
    // The worker declares its retry queues itself; raw amqplib gets the same one.
    if (kind === 'rawfail5') await broker.declareRetry(queue, retryPolicies[0]);
    await broker.fill(queue, {
      count: opts.tasks,
      bytes: opts.bytes,
      failEvery: failing ? failEvery : 0,
      idPrefix: `${variant}-${round}`,
    });
    endpoint?.take();
    const profileName = opts.profile.includes(variant) ? `${variant}-round${round + 1}-${Date.now()}` : undefined;
    const config = { ...base, mode: 'drain', variant, queue, tasks: opts.tasks };
    if (kind === 'rawfail5') config.retryQueue = broker.retryQueueOf(queue, retryPolicies[0]);
    if (variant === 'before') Object.assign(config, { variant: opts.beforeVariant, runtime: before.entry });
    const result = await runConsumer(config, { profileName }).promise;
    if (config.variant === 'progress') progressDelivered.push({ ...endpoint.take(), ...result.progress });
    // A quorum queue applies acks through its log: give the count a moment to settle. On a loaded machine it can lag
    // longer; the consumer counted its own completions, so the figures stand, with a warning.
    let left = await broker.messageCount(queue);
    for (let i = 0; left !== 0 && i < 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      left = await broker.messageCount(queue);
    }
    if (left !== 0) log(`  warning: ${variant}: the broker still counts ${left} messages in ${queue} 10 s after the drain`);
    return result;
  } finally {
    await broker.deleteAll(queue, retryPolicies);
  }
}

/** Sequential TaskClient.call round trips to a noop worker: the latency a caller sees at low load. */
async function measureLatency() {
  const queue = uniqueQueue('latency');
  await broker.declare(queue);
  const client = new TaskClient({ url: opts.amqpUrl, logger: silentLogger() });
  try {
    let ready;
    const isReady = new Promise((resolve) => {
      ready = resolve;
    });
    const { child, promise } = runConsumer({ ...base, mode: 'serve', queue }, { onMessage: () => ready() });
    await Promise.race([isReady, promise]);
    const times = [];
    const warmup = Math.min(20, opts.calls);
    for (let i = 0; i < warmup + opts.calls; i++) {
      const t0 = performance.now();
      await client.call(queue, { i, fail: false, pad: 'x'.repeat(Math.max(0, opts.bytes - 40)) }, { timeoutMs: 10_000 });
      if (i >= warmup) times.push(performance.now() - t0);
    }
    child.send({ type: 'stop' });
    await promise;
    log(`  latency: ${times.length} sequential calls`);
    return { p50: percentile(times, 50), p99: percentile(times, 99), max: max(times), n: times.length };
  } finally {
    await client.close();
    await broker.deleteAll(queue);
  }
}

/** Five tasks that fail three times each, at low load: the gap from a failed attempt to the next, per configured delay. */
async function probeRetryDelays() {
  const queue = uniqueQueue('retry');
  const tasks = 5;
  await broker.declare(queue);
  try {
    const { promise } = runConsumer(
      { ...base, mode: 'probe', queue, tasks },
      { onMessage: () => void broker.fill(queue, { count: tasks, bytes: opts.bytes, failEvery: 1, idPrefix: 'probe' }) },
    );
    const result = await promise;
    log('  retry probe done');
    return result.retryGaps;
  } finally {
    await broker.deleteAll(queue, [retryPolicy({ maxAttempts: 4, initialDelayMs: opts.retryDelay })]);
  }
}

/** One long-lived noop worker drains several batches; memory after each (after a GC) shows growth, if any. */
async function runSoak() {
  const queue = uniqueQueue('soak');
  await broker.declare(queue);
  try {
    const { promise } = runConsumer(
      { ...base, mode: 'soak', queue, tasks: opts.tasks, batches: opts.soak },
      {
        expose: true,
        onMessage: (message) => void broker.fill(queue, { count: opts.tasks, bytes: opts.bytes, idPrefix: `soak-${message.batch}` }),
      },
    );
    const result = await promise;
    log(`  soak: ${opts.soak} batches`);
    return result;
  } finally {
    await broker.deleteAll(queue);
  }
}

function printReport({ latency, probe, soak, elapsed }) {
  const raw = results.raw;
  const rows = [];
  const summary = {};
  for (const variant of opts.variants) {
    const rs = results[variant];
    const tput = rs.map((r) => r.tasks / r.seconds);
    const cpu = rs.map((r) => r.cpuMicros / r.tasks);
    const rss = rs.map((r) => r.peakRss / MB);
    // Ratios pair each round with the baseline of the same round, then take the median.
    const tputRatio = median(rs.map((r, i) => r.tasks / r.seconds / (raw[i].tasks / raw[i].seconds)));
    const cpuRatio = median(rs.map((r, i) => r.cpuMicros / r.tasks / (raw[i].cpuMicros / raw[i].tasks)));
    const rssRatio = median(rs.map((r, i) => r.peakRss / raw[i].peakRss));
    summary[variant] = { tput: median(tput), tputRatio, cpu: median(cpu), cpuRatio, rss: max(rss), rssRatio };
    rows.push([
      LABELS[variant],
      `${fmt(median(tput), 0)} (${fmt(min(tput), 0)}–${fmt(max(tput), 0)})`,
      `${fmt(tputRatio, 2)}×`,
      `${fmt(median(cpu), 1)} (${fmt(min(cpu), 1)}–${fmt(max(cpu), 1)})`,
      `${fmt(cpuRatio, 2)}×`,
      `${fmt(median(rss), 0)} (max ${fmt(max(rss), 0)})`,
      `${fmt(rssRatio, 2)}×`,
      rss.map((v) => fmt(v, 0)).join(' / '),
    ]);
  }
  const out = [];
  out.push(`jworker bench: ${machine}`);
  out.push(
    `${opts.tasks} persistent ${opts.bytes}-byte JSON messages per drain, ${QUEUE_TYPE} queue, prefetch ${opts.prefetch}, ${opts.rounds} interleaved rounds; medians (min–max); ratios are the median of per-round ratios to raw amqplib.`,
  );
  out.push('');
  out.push(table(['variant', 'tasks/s', '× raw', 'worker CPU µs/task', '× raw', 'peak RSS MB', '× raw', 'peak RSS per round'], rows));
  out.push('');
  if (latency)
    out.push(
      `TaskClient.call latency (noop worker, ${latency.n} sequential calls): p50 ${fmt(latency.p50, 2)} ms, p99 ${fmt(latency.p99, 2)} ms, max ${fmt(latency.max, 2)} ms`,
    );
  if (probe) {
    const parts = Object.entries(probe).map(
      ([configured, gaps]) => `${configured} ms → ${fmt(median(gaps), 1)} ms (max ${fmt(max(gaps), 1)}, n=${gaps.length})`,
    );
    out.push(`Retry delays at low load, configured → observed median (failed attempt's end to next attempt's start): ${parts.join('; ')}`);
  }
  if (results.fail5) {
    const gaps = results.fail5.flatMap((r) => r.retryGaps?.[opts.retryDelay] ?? []);
    out.push(
      `Retry delays under load (fail5, ${opts.retryDelay} ms configured, ${gaps.length} retries): observed p50 ${fmt(percentile(gaps, 50), 0)} ms, p99 ${fmt(percentile(gaps, 99), 0)} ms — a retry rejoins the back of the work queue, behind the backlog`,
    );
    const split = results.fail5.map((r, i) => {
      const firstPassRate = r.tasks / r.firstPassSeconds / (raw[i].tasks / raw[i].seconds);
      return `${fmt(r.firstPassSeconds, 2)} of ${fmt(r.seconds, 2)} s (${fmt(firstPassRate, 2)}× raw's rate)`;
    });
    out.push(
      `fail5, time until every task had its first attempt, of the whole drain, per round: ${split.join(' / ')}; the rest is the last retries' delay and dead-letter hop back through the broker`,
    );
  }
  for (const d of progressDelivered) {
    out.push(
      `Progress round: endpoint got ${d.STARTED ?? 0} STARTED + ${d.COMPLETED ?? 0} COMPLETED in ${d.requests} requests; reporter sent ${d.sent}, dropped ${d.dropped}, failed ${d.failed}`,
    );
  }
  if (results.io) {
    const ideal = results.io.map((_, i) => Math.min((opts.ioConcurrency * 1000) / opts.ioLatency, raw[i].tasks / raw[i].seconds));
    const ofIdeal = median(results.io.map((r, i) => r.tasks / r.seconds / ideal[i]));
    const delays = results.io.map((r) => r.loopDelayP99Ms).filter((v) => v !== undefined);
    summary.io.ofIdeal = ofIdeal;
    out.push(
      `I/O-bound (io): ideal = min(concurrency ÷ latency = ${fmt((opts.ioConcurrency * 1000) / opts.ioLatency, 0)} tasks/s, raw amqplib's rate in the same round) = ${ideal.map((v) => fmt(v, 0)).join(' / ')} tasks/s; reached ${fmt(ofIdeal, 2)}× of it; event-loop delay p99 while it ran ${delays.map((v) => `${fmt(v, 1)} ms`).join(' / ')}`,
    );
  }
  if (soak) {
    out.push(
      `Memory soak (one noop worker, ${opts.soak} × ${opts.tasks} tasks): RSS after each batch ${soak.batches.map((b) => fmt(b.rss / MB, 0)).join(' → ')} MB, heap ${soak.batches.map((b) => fmt(b.heapUsed / MB, 1)).join(' → ')} MB, peak RSS ${fmt(soak.peakRss / MB, 0)} MB`,
    );
  }
  out.push('');
  out.push('Targets:');
  const check = (ok, text) => out.push(`  [${ok ? 'met' : 'NOT met'}] ${text}`);
  if (summary.default) {
    check(summary.default.cpuRatio <= 1.5, `default CPU per task ≤ 1.5× raw: ${fmt(summary.default.cpuRatio, 2)}×`);
    check(summary.default.tputRatio >= 1.0, `default throughput ≥ 1.0× raw: ${fmt(summary.default.tputRatio, 2)}×`);
  }
  if (summary.noop) {
    check(summary.noop.tputRatio >= 0.9, `noop throughput ≥ 0.9× raw: ${fmt(summary.noop.tputRatio, 2)}×`);
    check(summary.noop.cpuRatio <= 1.5, `noop CPU per task ≤ 1.5× raw: ${fmt(summary.noop.cpuRatio, 2)}×`);
  }
  if (summary.progress) {
    check(summary.progress.cpuRatio <= 2.0, `progress CPU per task ≤ 2.0× raw: ${fmt(summary.progress.cpuRatio, 2)}×`);
    check(summary.progress.tputRatio >= 0.95, `progress throughput ≥ 0.95× raw: ${fmt(summary.progress.tputRatio, 2)}×`);
  }
  if (summary.fail5) check(summary.fail5.tputRatio >= 0.8, `fail5 throughput ≥ 0.8× raw: ${fmt(summary.fail5.tputRatio, 2)}×`);
  if (summary.fail5 && summary.rawfail5) {
    // What is left when the broker's own cost of a retry is taken out: fail5 against raw amqplib doing the same hops.
    const vsRawFail = median(results.fail5.map((r, i) => r.tasks / r.seconds / (results.rawfail5[i].tasks / results.rawfail5[i].seconds)));
    out.splice(
      out.indexOf('Targets:'),
      0,
      `fail5 against rawfail5 (the same retries by hand) in the same round: throughput ${fmt(vsRawFail, 2)}×`,
      '',
    );
  }
  if (summary.io) check(summary.io.ofIdeal >= 0.9, `io throughput ≥ 0.9× of the ideal: ${fmt(summary.io.ofIdeal, 2)}×`);
  const worstRss = max(opts.variants.filter((v) => v !== 'raw').map((v) => summary[v].rss));
  check(worstRss < 150, `peak RSS < 150 MB while ${opts.tasks} tasks flow: worst ${fmt(worstRss, 0)} MB`);
  if (soak) {
    const first = soak.batches[0].rss;
    const last = soak.batches.at(-1).rss;
    check(last <= first * 1.1 + 5 * MB, `no growth from batch to batch: ${fmt(first / MB, 0)} → ${fmt(last / MB, 0)} MB`);
  }
  out.push('');
  out.push(`(${fmt(elapsed, 0)} s)`);
  console.log(out.join('\n'));
}

function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

function fmt(value, digits) {
  return Number.isFinite(value) ? value.toFixed(digits) : '–';
}

function silentLogger() {
  return bunyan.createLogger({ name: 'bench-client', level: 'warn', stream: new Writable({ write: (_c, _e, cb) => cb() }) });
}

async function describeMachine() {
  let rabbit = 'unknown';
  try {
    const connection = await amqplib.connect(opts.amqpUrl);
    rabbit = connection.connection?.serverProperties?.version ?? rabbit;
    await connection.close();
  } catch (error) {
    console.error(`bench: cannot reach RabbitMQ at ${opts.amqpUrl.replace(/:[^:@/]*@/, ':***@')}: ${error.message}`);
    process.exit(2);
  }
  return `${os.availableParallelism()} CPUs (${os.cpus()[0]?.model.trim() ?? 'unknown'}), RabbitMQ ${rabbit}, Node ${process.version}, ${os.platform()} ${os.release()}`;
}
