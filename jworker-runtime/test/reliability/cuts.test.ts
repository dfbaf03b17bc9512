import test from 'ava';
import { waitFor } from '../helpers/broker.js';
import { consuming } from '../helpers/process.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { recordFigures, SECRETS, scenario, show, workerUrl } from './harness.js';

test('2,000 tasks, two workers, every connection cut three times: nothing lost', async (t) => {
  const url = new URL(workerUrl());
  const proxy = await startTcpProxy();
  t.teardown(() => proxy.close());
  const proxied = `amqp://${url.username}:${SECRETS.amqpPassword}@127.0.0.1:${proxy.port}`;
  const { ledger, spawn, assertNoSecrets } = await scenario(t, { AMQP_URL: proxied, WORKER_CONCURRENCY: '20' });
  const workers = [spawn(), spawn()];
  await Promise.all(workers.map(consuming));
  const total = 2000;
  await ledger.send(Array.from({ length: total }, (_, n) => ({ n, sleepMs: 15 })));
  let cuts = 0;
  for (const fraction of [0.25, 0.5, 0.75]) {
    await waitFor(`${fraction * 100}% done`, () => ledger.tally().completed >= total * fraction, 60_000);
    cuts += proxy.cut() > 0 ? 1 : 0;
  }
  const tally = await ledger.settled(120_000);
  recordFigures('connection-cuts', { ...tally, cuts, connectionsAccepted: proxy.accepted });
  assertNoSecrets();
  t.is(cuts, 3);
  t.is(tally.lost, 0, show(tally));
  t.is(tally.completed, total, show(tally));
  t.true(proxy.accepted >= 8, `the workers reconnected after each cut (${proxy.accepted} connections)`);
});
