import test from 'ava';
import { HEADERS, retryAfterMs, WorkerError } from '../src/index.js';
import { waitFor } from './helpers/broker.js';
import { startSample } from './helpers/worker.js';

test('Retry-After in seconds or as an HTTP date becomes milliseconds; anything else is undefined', (t) => {
  const now = Date.parse('2026-10-21T07:28:00Z');
  t.is(retryAfterMs('120', now), 120_000);
  t.is(retryAfterMs(' 0 ', now), 0);
  t.is(retryAfterMs('Wed, 21 Oct 2026 07:29:30 GMT', now), 90_000);
  t.is(retryAfterMs('Wed, 21 Oct 2026 07:00:00 GMT', now), 0, 'a date already past');
  t.is(retryAfterMs(null, now), undefined);
  t.is(retryAfterMs('soon', now), undefined);
  t.is(retryAfterMs('-5', now), undefined);
  t.is(retryAfterMs('1.5', now), undefined);
});

test('WorkerError keeps a usable retryAfterMs and drops a bad one', (t) => {
  t.is(new WorkerError('x', { retryAfterMs: 1500.2 }).retryAfterMs, 1501);
  t.is(new WorkerError('x', { retryAfterMs: -1 }).retryAfterMs, undefined);
  t.is(new WorkerError('x', { retryAfterMs: Number.NaN }).retryAfterMs, undefined);
  t.is(new WorkerError('x').retryAfterMs, undefined);
});

test('a task that answers retryAfterMs runs again no sooner than asked, without using up an attempt', async (t) => {
  // Two attempts in all, and the backoff far shorter than the wait asked for: neither may decide the retries.
  const { client, queue, worker } = await startSample(t, { retry: { maxAttempts: 2, initialDelayMs: 100 } });
  const result = await client.call(queue, { action: 'busy', busy: 3, ms: 1200, value: 'v' }, { taskId: 'busy', timeoutMs: 20_000 });
  t.deepEqual(result, { echoed: 'v', attempt: 1 }, 'three 429s did not use up the two attempts');
  const runs = worker.attempts.filter((a) => a.taskId === 'busy');
  t.is(runs.length, 4);
  for (const [i, run] of runs.slice(1).entries()) {
    const gap = run.at - (runs[i]?.at ?? 0);
    t.true(gap >= 1200, `run ${i + 2} came ${gap} ms after the one before, sooner than the 1200 ms asked`);
    t.log(`gap ${i + 1}: ${gap} ms (asked 1200 ms)`);
  }
});

test('past retry.maxDeferrals a retryAfterMs failure uses up an attempt, and still waits as asked', async (t) => {
  const { client, queue, worker, broker } = await startSample(t, { retry: { maxAttempts: 2, initialDelayMs: 100, maxDeferrals: 1 } });
  await t.throwsAsync(client.call(queue, { action: 'busy', busy: 10, ms: 800 }, { taskId: 'capped', timeoutMs: 20_000 }), {
    message: '429 Too Many Requests',
  });
  const runs = worker.attempts.filter((a) => a.taskId === 'capped');
  t.deepEqual(
    runs.map((a) => a.attempt),
    [1, 1, 2],
    'one deferral, then two counted attempts',
  );
  t.true((runs[2]?.at ?? 0) - (runs[1]?.at ?? 0) >= 800);
  await waitFor('the dead letter', async () => (await broker.count(`${queue}.dead`)).messageCount === 1);
  const [dead] = await broker.drain(`${queue}.dead`);
  t.is(dead?.properties.headers?.[HEADERS.reason], 'exhausted');
});
