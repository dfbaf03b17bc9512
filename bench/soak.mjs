// `npm run soak -- --minutes N`: one or two long-lived workers under continuous load (tasks await a few ms, 5% fail
// their first attempt and come back through the retry queue), for N minutes. Every worker samples its RSS, heap,
// event-loop delay and open handles every 30 s; the run writes the samples as JSON and CSV, an SVG plot, and prints
// a verdict on growth: a least-squares line through the second half of each worker's samples (the first half holds
// the warm-up: JIT, pools, buffers). Not part of `npm test`. Other processes on the machine (tests, benchmarks)
// show up in the event-loop delay, not in memory.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseFlags } from './lib/args.mjs';
import { openBroker, retryPolicy, uniqueQueue } from './lib/broker.mjs';
import { runConsumer } from './lib/child.mjs';
import { snapshotRuntime } from './lib/runtime.mjs';
import { soakSvg } from './lib/soak-plot.mjs';
import { linearFit, median } from './lib/stats.mjs';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const DEFAULTS = {
  minutes: 30,
  workers: 2,
  rate: 200,
  failRate: 0.05,
  latency: 5,
  concurrency: 50,
  retryDelay: 200,
  sampleSeconds: 30,
  out: 'bench/.soak',
  svg: '',
  from: '',
  amqpUrl: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
};
const HELP = `npm run soak -- [flags]
  --minutes N         how long the load runs (default ${DEFAULTS.minutes})
  --workers N         worker processes on the queue (default ${DEFAULTS.workers})
  --rate N            tasks published per second (default ${DEFAULTS.rate})
  --fail-rate F       share of tasks failing their first attempt (default ${DEFAULTS.failRate})
  --latency MS        how long each task awaits (default ${DEFAULTS.latency})
  --concurrency N     WORKER_CONCURRENCY of each worker (default ${DEFAULTS.concurrency})
  --retry-delay MS    retry delay of the failed attempts (default ${DEFAULTS.retryDelay})
  --sample-seconds N  sampling interval (default ${DEFAULTS.sampleSeconds})
  --out DIR           where soak-<time>.{json,csv,svg} go (default ${DEFAULTS.out})
  --svg FILE          also write the plot here (e.g. docs/soak.svg)
  --from FILE         no run: the verdict, CSV and plot again from an earlier run's JSON
  --amqp-url URL      broker (default AMQP_URL or amqp://guest:guest@127.0.0.1:5672)`;

const { options: opts } = parseFlags(process.argv.slice(2), DEFAULTS, HELP, 'soak');
const log = (line) => process.stderr.write(`${line}\n`);
const MB = 1024 * 1024;

const workers = [];
const completedBy = [];
if (opts.from) reanalyze(path.resolve(ROOT, opts.from));
else await live();

/** `--from FILE`: the verdict and plot again from the samples of an earlier run. */
function reanalyze(file) {
  const saved = JSON.parse(readFileSync(file, 'utf8'));
  Object.assign(opts, { ...saved.options, out: opts.out, svg: opts.svg, from: opts.from });
  const samples = saved.perWorker.map((w) => saved.samples.filter((s) => s.worker === w.worker));
  const result = summarize({ ...saved, finals: saved.perWorker, samples });
  write(result, samples);
}

async function live() {
  const runtime = snapshotRuntime('jworker-runtime/dist', 'soak');
  const { topology } = await import(runtime.entry);
  let broker = await openBroker(opts.amqpUrl, topology);
  let unconfirmed = 0;
  const queue = uniqueQueue('soak');
  const retry = retryPolicy({ maxAttempts: 3, initialDelayMs: opts.retryDelay });
  await broker.declare(queue);
  try {
    for (let i = 0; i < opts.workers; i++) workers.push(startWorker(i));
    await Promise.all(workers.map((w) => w.ready));
    log(
      `soak: ${opts.minutes} min, ${opts.workers} worker(s), ${opts.rate} tasks/s, ${opts.failRate * 100}% transient failures; queue ${queue}`,
    );
    const started = Date.now();
    const published = await publishFor(opts.minutes * 60_000);
    log(`soak: ${published} tasks published; waiting for the last completions`);
    const deadline = Date.now() + 120_000;
    while (completed() < published + unconfirmed && Date.now() < deadline) await sleep(500);
    for (const w of workers) w.child.send({ type: 'stop' });
    const finals = await Promise.all(workers.map((w) => w.promise));
    const samples = workers.map((w) => w.samples);
    const result = summarize({ published, unconfirmed, finals, seconds: (Date.now() - started) / 1000, samples });
    write(result, samples);
    if (result.lost !== 0 || !result.verdict.flat) process.exitCode = 1;
  } finally {
    for (const w of workers) w.child.kill('SIGKILL');
    await broker.deleteAll(queue, [retry]);
    await broker.close();
  }

  function startWorker(index) {
    const samples = [];
    completedBy[index] = 0;
    const config = {
      mode: 'endurance',
      runtime: runtime.entry,
      amqpUrl: opts.amqpUrl,
      queue,
      prefetch: opts.concurrency,
      concurrency: opts.concurrency,
      latencyMs: opts.latency,
      retryDelay: opts.retryDelay,
      sampleSeconds: opts.sampleSeconds,
    };
    const { child, promise, ready } = runConsumer(config, {
      timeoutMs: (opts.minutes + 5) * 60_000,
      onMessage: (message) => {
        if (message.type === 'count') completedBy[index] = message.completed;
        else if (message.type === 'sample') {
          samples.push(message.sample);
          const s = message.sample;
          log(
            `  worker ${index} ${fmt(s.seconds / 60, 1)} min: RSS ${fmt(s.rss / MB, 1)} MB, heap ${fmt(s.heapUsed / MB, 1)} MB, loop p99 ${fmt(s.loopDelayMs.p99, 1)} ms, handles ${s.handles}, completed ${s.completed}`,
          );
        }
      },
    });
    return { child, promise, samples, ready };
  }

  function completed() {
    return completedBy.reduce((a, b) => a + b, 0);
  }

  /** Publishes `rate` tasks per second in 100 ms ticks (every `1/failRate`-th flagged to fail once) for `ms`. */
  async function publishFor(ms) {
    const perTick = Math.max(1, Math.round(opts.rate / 10));
    const failEvery = opts.failRate > 0 ? Math.round(1 / opts.failRate) : 0;
    const end = Date.now() + ms;
    let published = 0;
    let next = Date.now();
    for (let tick = 0; Date.now() < end; tick++) {
      try {
        await broker.fill(queue, { count: perTick, bytes: 200, failEvery, idPrefix: `soak-${tick}` });
        published += perTick;
      } catch (error) {
        // The broker restarted (on a shared machine, another test may do that): these were not confirmed, so they are
        // not counted as published; the workers reconnect on their own, the producer reconnects here.
        log(`  publish failed (${error.message}); reconnecting the producer`);
        unconfirmed += perTick;
        await sleep(1000);
        broker = await openBroker(opts.amqpUrl, topology).catch(() => broker);
      }
      next += 100;
      await sleep(Math.max(0, next - Date.now()));
    }
    return published;
  }
}

function summarize({ published, unconfirmed, finals, seconds, samples: samplesByWorker }) {
  const perWorker = samplesByWorker.map((samples, i) => {
    const w = { samples };
    const half = w.samples.slice(Math.floor(w.samples.length / 2));
    const fitLine = (key) => {
      const { slope, intercept } = linearFit(
        half.map((s) => s.seconds / 3600),
        half.map((s) => s[key] / MB),
      );
      return { slopeMbPerHour: slope, atStart: intercept + slope * (half[0]?.seconds / 3600) };
    };
    const rss = fitLine('rss');
    const heap = fitLine('heapUsed');
    const handles = w.samples.map((s) => s.handles);
    const firstHalf = w.samples.slice(0, Math.floor(w.samples.length / 2)).map((s) => s.handles);
    const p99s = w.samples.map((s) => s.loopDelayMs.p99).filter((v) => v !== undefined);
    return {
      worker: i,
      completed: finals[i].completed,
      retried: finals[i].retried,
      dead: finals[i].dead,
      samples: w.samples.length,
      secondHalfHours: ((half.at(-1)?.seconds ?? 0) - (half[0]?.seconds ?? 0)) / 3600,
      rssMb: { first: w.samples[0]?.rss / MB, last: w.samples.at(-1)?.rss / MB, max: Math.max(...w.samples.map((s) => s.rss)) / MB },
      heapMb: { first: w.samples[0]?.heapUsed / MB, last: w.samples.at(-1)?.heapUsed / MB },
      rssSecondHalf: rss,
      heapSecondHalf: heap,
      handles: {
        min: Math.min(...handles),
        max: Math.max(...handles),
        medianFirstHalf: median(firstHalf),
        medianSecondHalf: median(half.map((s) => s.handles)),
      },
      loopDelayP99Ms: { median: p99s.sort((a, b) => a - b)[Math.floor(p99s.length / 2)], max: Math.max(...p99s) },
    };
  });
  const done = perWorker.reduce((a, w) => a + w.completed, 0);
  // Growth over the second half, from the fitted lines: flat when RSS rises by less than max(5 MB, 10%) and heap by
  // less than max(5 MB, 20%) over that half (GC cycles make single samples swing by several MB), and the median count
  // of open handles is no higher in the second half than in the first (+3).
  const flat = perWorker.every((w) => {
    const hours = w.secondHalfHours;
    const rssRise = w.rssSecondHalf.slopeMbPerHour * hours;
    const heapRise = w.heapSecondHalf.slopeMbPerHour * hours;
    return (
      rssRise < Math.max(5, 0.1 * w.rssSecondHalf.atStart) &&
      heapRise < Math.max(5, 0.2 * w.heapSecondHalf.atStart) &&
      w.handles.medianSecondHalf <= w.handles.medianFirstHalf + 3
    );
  });
  return {
    at: new Date().toISOString(),
    machine: `${os.availableParallelism()} CPUs (${os.cpus()[0]?.model.trim() ?? 'unknown'}), Node ${process.version}`,
    options: { ...opts, amqpUrl: undefined },
    seconds,
    published,
    // Publishes that failed when the broker went away: they may or may not have reached the queue.
    unconfirmed,
    completed: done,
    lost: Math.max(0, published - done),
    perWorker,
    verdict: {
      flat,
      text: perWorker
        .map(
          (w) =>
            `worker ${w.worker}: RSS ${fmt(w.rssMb.first, 1)} → ${fmt(w.rssMb.last, 1)} MB (second half: ${fmt(w.rssSecondHalf.slopeMbPerHour, 2)} MB/h), heap ${fmt(w.heapMb.first, 1)} → ${fmt(w.heapMb.last, 1)} MB (${fmt(w.heapSecondHalf.slopeMbPerHour, 2)} MB/h), open handles ${w.handles.min}–${w.handles.max} (median ${w.handles.medianFirstHalf} → ${w.handles.medianSecondHalf}), loop delay p99 median ${fmt(w.loopDelayP99Ms.median, 1)} ms (max ${fmt(w.loopDelayP99Ms.max, 1)} ms)`,
        )
        .join('\n'),
    },
  };
}

function write(result, samplesByWorker) {
  const dir = path.resolve(ROOT, opts.out);
  mkdirSync(dir, { recursive: true });
  const stem = path.join(dir, `soak-${result.at.replace(/[:.]/g, '-')}`);
  const samples = samplesByWorker.flatMap((list, i) => list.map((s) => ({ ...s, worker: i })));
  writeFileSync(`${stem}.json`, `${JSON.stringify({ ...result, samples }, null, 2)}\n`);
  const header =
    'worker,seconds,rss_bytes,heap_used_bytes,heap_total_bytes,external_bytes,loop_delay_p50_ms,loop_delay_p99_ms,loop_delay_max_ms,handles,completed,retried';
  const rows = samples.map((s) =>
    [
      s.worker,
      s.seconds.toFixed(1),
      s.rss,
      s.heapUsed,
      s.heapTotal,
      s.external,
      s.loopDelayMs.p50,
      s.loopDelayMs.p99,
      s.loopDelayMs.max,
      s.handles,
      s.completed,
      s.retried,
    ].join(','),
  );
  writeFileSync(`${stem}.csv`, `${[header, ...rows].join('\n')}\n`);
  const svg = soakSvg(
    samplesByWorker,
    `jworker soak: ${opts.workers} worker(s), ${opts.rate} tasks/s, ${opts.failRate * 100}% transient failures, ${opts.minutes} min`,
  );
  writeFileSync(`${stem}.svg`, svg);
  if (opts.svg) writeFileSync(path.resolve(ROOT, opts.svg), svg);
  console.log(
    `soak: ${result.published} published, ${result.completed} completed, lost ${result.lost} (${fmt(result.seconds / 60, 1)} min)`,
  );
  console.log(result.verdict.text);
  console.log(`verdict: ${result.verdict.flat ? 'no growth' : 'GROWTH'} (a line fitted through the second half of the samples)`);
  console.log(`samples: ${stem}.json, ${stem}.csv; plot: ${stem}.svg${opts.svg ? ` and ${opts.svg}` : ''}`);
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function fmt(value, digits) {
  return Number.isFinite(value) ? value.toFixed(digits) : '–';
}
