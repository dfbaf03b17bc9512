import test from 'ava';
import { parseRateLimit } from '../src/config/rate-limit.js';
import { ConfigError, loadConfig } from '../src/index.js';
import { waitFor } from './helpers/broker.js';
import { startSample } from './helpers/worker.js';

test('WORKER_RATE_LIMIT reads a count per second, minute or hour', (t) => {
  t.deepEqual(parseRateLimit('20/s'), { count: 20, periodMs: 1000 });
  t.deepEqual(parseRateLimit(' 600 / m '), { count: 600, periodMs: 60_000 });
  t.deepEqual(parseRateLimit('1000/h'), { count: 1000, periodMs: 3_600_000 });
  for (const bad of ['0/s', '20', '20/d', '-1/s', '1.5/s', 'fast']) t.is(parseRateLimit(bad), undefined, bad);
  t.is(loadConfig({ WORKER_RATE_LIMIT: '20/s' }).rateLimit, '20/s');
});

test('a bad WORKER_RATE_LIMIT fails fast, naming the variable, the value and what was expected', (t) => {
  const error = t.throws(() => loadConfig({ WORKER_RATE_LIMIT: '20 per second' }), { instanceOf: ConfigError });
  t.regex(error?.message ?? '', /WORKER_RATE_LIMIT: expected a count per second, minute or hour, like 20\/s.*got "20 per second"/);
});

test('a rate limit of 20/s holds within 10 % over 10 s under concurrency 50', async (t) => {
  const { client, queue, worker } = await startSample(t, { concurrency: 50, rateLimit: '20/s' });
  await Promise.all(Array.from({ length: 300 }, (_, i) => client.enqueue(queue, { action: 'echo', value: i })));
  await waitFor('the first start', () => worker.attempts.length > 0);
  const first = worker.attempts[0]?.at ?? 0;
  await waitFor('10 s of starts', () => (worker.attempts.at(-1)?.at ?? 0) >= first + 10_000, 20_000);
  const started = worker.attempts.filter((a) => a.at < first + 10_000).length;
  t.log(`${started} starts in the first 10 s (limit: 200)`);
  t.true(started <= 220 && started >= 180, `${started} starts in 10 s, expected 200 ± 10 %`);
  // In every 1-second window, never more than 20 plus the two the limiter allows at a window's edges.
  for (const a of worker.attempts) {
    const inWindow = worker.attempts.filter((b) => b.at >= a.at && b.at < a.at + 1000).length;
    t.true(inWindow <= 22, `${inWindow} starts in the second after ${a.at - first} ms`);
  }
});
