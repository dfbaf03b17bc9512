import test from 'ava';
import { consuming } from '../helpers/process.js';
import { recordFigures, scenario, show } from './harness.js';

const TASKS = Number(process.env.SOAK_TASKS ?? 20_000);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

test(`soak: ${TASKS} tasks, 10% transient and 1% permanent failures, two workers: completed + dead = sent, memory flat`, async (t) => {
  const { ledger, spawn, assertNoSecrets } = await scenario(t, {
    WORKER_CONCURRENCY: '50',
    RETRY_INITIAL_DELAY_MS: '100',
    RETRY_MAX_DELAY_MS: '400',
    RETRY_MAX_ATTEMPTS: '4',
  });
  const workers = [spawn(), spawn()];
  await Promise.all(workers.map(consuming));
  const samples: Array<{ done: number; rss: number[] }> = [];
  const sampler = setInterval(() => {
    samples.push({ done: ledger.tally().completed + ledger.tally().dead, rss: workers.map((w) => w.rss()) });
  }, 250);
  t.teardown(() => clearInterval(sampler));
  const tasks = Array.from({ length: TASKS }, (_, n) => {
    if (n % 100 === 0) return { n, permanent: true };
    if (n % 10 === 1) return { n, failAttempts: 1 + (n % 3 === 0 ? 1 : 0) };
    return { n };
  });
  const started = Date.now();
  for (let i = 0; i < tasks.length; i += 2000) await ledger.send(tasks.slice(i, i + 2000));
  const tally = await ledger.settled(240_000);
  clearInterval(sampler);
  const seconds = (Date.now() - started) / 1000;
  const expectedDead = tasks.filter((task) => 'permanent' in task).length;
  // Memory: the median RSS of the second quarter of the run against the last quarter.
  const quarter = Math.floor(samples.length / 4);
  const early = samples.slice(quarter, 2 * quarter).flatMap((s) => s.rss);
  const late = samples.slice(3 * quarter).flatMap((s) => s.rss);
  const figures = {
    ...tally,
    expectedDead,
    seconds: Math.round(seconds * 10) / 10,
    tasksPerSecond: Math.round(TASKS / seconds),
    rssMbSecondQuarter: Math.round(median(early) / 1e5) / 10,
    rssMbLastQuarter: Math.round(median(late) / 1e5) / 10,
    rssMbPeak: Math.round(Math.max(...samples.flatMap((s) => s.rss)) / 1e5) / 10,
  };
  recordFigures('soak', figures);
  t.is(tally.lost, 0, show(tally));
  t.is(tally.completed + tally.dead, TASKS);
  t.is(tally.dead, expectedDead, 'exactly the permanent failures are dead; every transient one recovered');
  t.true(samples.length >= 8, 'enough memory samples');
  t.true(median(late) <= median(early) * 1.25 + 10e6, `RSS flat: ${figures.rssMbSecondQuarter} MB → ${figures.rssMbLastQuarter} MB`);
  assertNoSecrets();
});
