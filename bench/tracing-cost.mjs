// `npm run bench:tracing`: what OpenTelemetry tracing adds to each task, measured in one process against a baseline
// that does the same work without it. Per task: the producer's span around the publish (TaskClient) and the consumer's
// span around the attempt (the worker), with the attempt's work a trivial async function. Rounds alternate baseline
// and traced loops; figures are medians of the per-round difference, in nanoseconds per task.
//   no SDK       nothing registered: what every user who does not trace pays (the budget is about 1 µs)
//   SDK, not sampled  an SDK whose sampler drops the trace (AlwaysOff): spans exist but do not record
//   SDK, recording    an SDK that records every span, exported to nowhere: what tracing on costs
// Loads the runtime's TypeScript sources through tsx (the tracing parts are internal, not in the public API).
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { AlwaysOffSampler, NoopSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { tracingInactive } from '../jworker-runtime/src/tracing/global.ts';
import { ProcessSpan } from '../jworker-runtime/src/tracing/process-span.ts';
import { tracedPublish } from '../jworker-runtime/src/tracing/publish-span.ts';
import { max, median, min } from './lib/stats.mjs';

const ITERATIONS = Number(process.env.ITERATIONS ?? 200_000);
const ROUNDS = Number(process.env.ROUNDS ?? 9);
const headers = { tenant: 'a' };
let sink = 0;

/** The attempt's work and the publish: as small as can be, so that the difference is tracing's alone. */
const work = async (i) => i;
const publish = async (h) => {
  sink += h === undefined ? 0 : 1;
};

async function baseline(i) {
  await publish({ ...headers });
  sink += await work(i);
}

/** What the worker's delivery handler and TaskClient do around each task (worker/delivery-handler.ts). */
async function traced(i) {
  await tracedPublish('bench', 'task-id', headers, publish);
  if (tracingInactive()) {
    sink += await work(i);
    return;
  }
  const span = new ProcessSpan({
    queue: 'bench',
    taskId: 'task-id',
    attempt: 1,
    maxAttempts: 3,
    workerType: 'bench',
    headers,
    routingKey: 'bench',
    deliveryTag: i,
    redelivered: false,
    bodySize: 200,
  });
  sink += await span.run(() => work(i));
  span.end({ outcome: 'completed' });
}

async function loop(fn) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i++) await fn(i);
  return Number(process.hrtime.bigint() - t0) / ITERATIONS;
}

async function measure(label) {
  await loop(baseline);
  await loop(traced);
  const diffs = [];
  const base = [];
  for (let round = 0; round < ROUNDS; round++) {
    const b = await loop(baseline);
    const t = await loop(traced);
    base.push(b);
    diffs.push(t - b);
  }
  const row = `${label.padEnd(20)} +${median(diffs).toFixed(0).padStart(5)} ns/task (${min(diffs).toFixed(0)}–${max(diffs).toFixed(0)}), baseline ${median(base).toFixed(0)} ns`;
  console.log(row);
}

console.log(`tracing cost: ${ROUNDS} rounds × ${ITERATIONS} tasks, node ${process.version}`);
await measure('no SDK');

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
const off = new TracerProvider({ sampler: new AlwaysOffSampler() });
trace.setGlobalTracerProvider(off);
await measure('SDK, not sampled');

trace.disable();
trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new NoopSpanProcessor()] }));
await measure('SDK, recording');
if (sink === 0) console.log('');
