// `npm run bench:scaling`: N worker processes (1, 2, 4, 8 by default) drain one pre-filled quorum queue of I/O-bound
// tasks (each awaits 20 ms, concurrency 50 per process), in interleaved rounds. Per N: throughput (tasks/s from the
// moment the workers are told to start to the last completion), its ratio to the ideal N × concurrency ÷ latency, the
// workers' CPU per task, and how busy the machine's CPUs were meanwhile (/proc/stat): where throughput stops growing
// and the CPUs are saturated, the broker (on the same machine) is the limit, not the workers.
// Run it alone: `flock /tmp/jworker-bench.lock npm run bench:scaling`.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { parseFlags } from './lib/args.mjs';
import { openBroker, uniqueQueue } from './lib/broker.mjs';
import { runConsumer } from './lib/child.mjs';
import { snapshotRuntime } from './lib/runtime.mjs';
import { max, median, min } from './lib/stats.mjs';

const DEFAULTS = {
  processes: '1,2,4,8',
  tasks: 20_000,
  rounds: 2,
  latency: 20,
  concurrency: 50,
  amqpUrl: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
};
const HELP = `npm run bench:scaling -- [flags]
  --processes LIST  worker process counts to measure (default ${DEFAULTS.processes})
  --tasks N         tasks drained per measurement (default ${DEFAULTS.tasks})
  --rounds N        interleaved rounds (default ${DEFAULTS.rounds})
  --latency MS      how long each task awaits (default ${DEFAULTS.latency})
  --concurrency N   WORKER_CONCURRENCY of each process (default ${DEFAULTS.concurrency})
  --amqp-url URL    broker (default AMQP_URL or amqp://guest:guest@127.0.0.1:5672)`;

const { options: opts } = parseFlags(process.argv.slice(2), DEFAULTS, HELP, 'bench:scaling');
const log = (line) => process.stderr.write(`${line}\n`);
const counts = opts.processes.split(',').map(Number);
const runtime = snapshotRuntime('jworker-runtime/dist', 'scaling');
const { topology } = await import(runtime.entry);
const broker = await openBroker(opts.amqpUrl, topology);
const started = performance.now();
const results = Object.fromEntries(counts.map((n) => [n, []]));
try {
  log(
    `bench:scaling: ${opts.rounds} rounds × ${counts.join(', ')} processes; ${opts.tasks} tasks of ${opts.latency} ms, concurrency ${opts.concurrency}`,
  );
  for (let round = 0; round < opts.rounds; round++) {
    const order = counts.map((_, i) => counts[(i + round) % counts.length]);
    for (const n of order) {
      const r = await measure(n);
      results[n].push(r);
      log(
        `  round ${round + 1}: ${String(n).padStart(2)} process(es) ${fmt(r.tput, 0).padStart(6)} tasks/s  CPUs busy ${fmt(r.busy * 100, 0)}%  worker CPU ${fmt(r.cpuMicrosPerTask, 0)} µs/task  spread ${r.perProcess.join('/')}`,
      );
    }
  }
  report();
} finally {
  await broker.close();
}

async function measure(n) {
  const queue = uniqueQueue(`scale${n}`);
  await broker.declare(queue);
  try {
    await broker.fill(queue, { count: opts.tasks, bytes: 200, idPrefix: `scale-${n}` });
    const completed = new Array(n).fill(0);
    const children = [];
    for (let i = 0; i < n; i++) {
      const config = {
        mode: 'share',
        runtime: runtime.entry,
        amqpUrl: opts.amqpUrl,
        queue,
        prefetch: opts.concurrency,
        concurrency: opts.concurrency,
        latencyMs: opts.latency,
      };
      const child = runConsumer(config, {
        onMessage: (message) => {
          if (message.type === 'count') completed[i] = message.completed;
        },
      });
      children.push(child);
    }
    await Promise.all(children.map((c) => c.ready));
    const cpu0 = cpuTimes();
    const t0 = performance.now();
    for (const c of children) c.child.send({ type: 'go' });
    while (completed.reduce((a, b) => a + b, 0) < opts.tasks) await new Promise((resolve) => setTimeout(resolve, 20));
    const seconds = (performance.now() - t0) / 1000;
    const cpu1 = cpuTimes();
    for (const c of children) c.child.send({ type: 'stop' });
    const finals = await Promise.all(children.map((c) => c.promise));
    const done = finals.reduce((a, f) => a + f.completed, 0);
    return {
      tput: opts.tasks / seconds,
      ideal: (n * opts.concurrency * 1000) / opts.latency,
      busy: 1 - (cpu1.idle - cpu0.idle) / (cpu1.total - cpu0.total),
      cpuMicrosPerTask: finals.reduce((a, f) => a + f.cpuMicros, 0) / done,
      perProcess: finals.map((f) => f.completed),
    };
  } finally {
    await broker.deleteAll(queue);
  }
}

function report() {
  const out = [];
  out.push(
    `jworker bench:scaling: ${os.availableParallelism()} CPUs (${os.cpus()[0]?.model.trim() ?? 'unknown'}), Node ${process.version}; broker on the same machine`,
  );
  out.push(
    `${opts.tasks} persistent tasks per measurement on one quorum queue, each awaiting ${opts.latency} ms, concurrency ${opts.concurrency} per process; ${opts.rounds} interleaved rounds, medians (min–max).`,
  );
  out.push('');
  out.push('| processes | tasks/s | × 1 process | of ideal (N × concurrency ÷ latency) | CPUs busy | worker CPU µs/task |');
  out.push('|---|---|---|---|---|---|');
  const base = median(results[counts[0]].map((r) => r.tput));
  let plateau;
  let previous;
  for (const n of counts) {
    const rs = results[n];
    const tput = median(rs.map((r) => r.tput));
    if (previous !== undefined && plateau === undefined && tput < previous * 1.15) plateau = n;
    previous = tput;
    out.push(
      `| ${n} | ${fmt(tput, 0)} (${fmt(min(rs.map((r) => r.tput)), 0)}–${fmt(max(rs.map((r) => r.tput)), 0)}) | ${fmt(tput / base, 2)}× | ${fmt(tput / rs[0].ideal, 2)} | ${fmt(median(rs.map((r) => r.busy)) * 100, 0)}% | ${fmt(median(rs.map((r) => r.cpuMicrosPerTask)), 0)} |`,
    );
  }
  out.push('');
  out.push(
    plateau === undefined
      ? 'Throughput grew at every step measured.'
      : `Throughput stops growing (less than +15% from the step before) at ${plateau} processes.`,
  );
  out.push(`(${fmt((performance.now() - started) / 1000, 0)} s)`);
  console.log(out.join('\n'));
}

/** Machine-wide CPU time (all cores), from /proc/stat: total and idle jiffies. */
function cpuTimes() {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return { total: fields.reduce((a, b) => a + b, 0), idle: fields[3] + (fields[4] ?? 0) };
  } catch {
    return { total: Number.NaN, idle: Number.NaN };
  }
}

function fmt(value, digits) {
  return Number.isFinite(value) ? value.toFixed(digits) : '–';
}
