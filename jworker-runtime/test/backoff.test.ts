import test from 'ava';
import { allRetryDelays, decideRetry, jitteredDelayMs, type RetryPolicy, retryDelayMs } from '../src/retry/backoff.js';

const policy: RetryPolicy = { maxAttempts: 5, initialDelayMs: 1000, multiplier: 2, maxDelayMs: 300_000, jitter: 0 };

test('the delay after attempt n is initialDelay × multiplier^(n−1)', (t) => {
  t.deepEqual(
    [1, 2, 3, 4].map((n) => retryDelayMs(policy, n)),
    [1000, 2000, 4000, 8000],
  );
});

test('no delay exceeds maxDelayMs', (t) => {
  const capped = { ...policy, maxDelayMs: 5000, maxAttempts: 10 };
  t.deepEqual(
    [1, 2, 3, 4, 5, 9].map((n) => retryDelayMs(capped, n)),
    [1000, 2000, 4000, 5000, 5000, 5000],
  );
});

test('permanent errors and the last attempt go to the dead-letter queue; others are retried', (t) => {
  t.deepEqual(decideRetry(policy, 1, true), { action: 'dead', reason: 'permanent' });
  t.deepEqual(decideRetry(policy, 5, false), { action: 'dead', reason: 'exhausted' });
  t.deepEqual(decideRetry(policy, 7, false), { action: 'dead', reason: 'exhausted' });
  t.deepEqual(decideRetry(policy, 2, false), { action: 'retry', delayMs: 2000, nextAttempt: 3 });
});

test('jitter only shortens a delay, by at most the jitter fraction', (t) => {
  const jittery = { ...policy, jitter: 0.2 };
  t.is(
    jitteredDelayMs(jittery, 2, () => 0),
    2000,
  );
  t.is(
    jitteredDelayMs(jittery, 2, () => 1),
    1600,
  );
  t.is(
    jitteredDelayMs(jittery, 2, () => 0.5),
    1800,
  );
  t.is(
    jitteredDelayMs(policy, 2, () => 1),
    2000,
    'no jitter configured',
  );
});

test('one retry queue per distinct delay', (t) => {
  t.deepEqual(allRetryDelays(policy), [1000, 2000, 4000, 8000]);
  t.deepEqual(allRetryDelays({ ...policy, maxAttempts: 1 }), []);
  t.deepEqual(allRetryDelays({ ...policy, maxAttempts: 20, maxDelayMs: 4000 }), [1000, 2000, 4000]);
  t.deepEqual(allRetryDelays({ ...policy, multiplier: 1 }), [1000]);
});
