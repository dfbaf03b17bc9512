import test from 'ava';
import { rawBroker, waitFor } from '../helpers/broker.js';
import { consuming } from '../helpers/process.js';
import { ctl, hasRabbitmqctl } from '../helpers/rabbitmqctl.js';
import { recordFigures, scenario, show } from './harness.js';

// Restarts the broker's app: it runs alone (the suite is serial) and restores the broker even when it fails.
// Where rabbitmqctl cannot run (not root, no broker tools), the scenario is reported as skipped, not passed.
const withRabbitmqctl = hasRabbitmqctl() ? test : test.skip;

withRabbitmqctl('a broker restart mid-run, with tasks waiting in retry delay queues: none lost', async (t) => {
  t.teardown(() => {
    ctl('start_app');
  });
  const { ledger, spawn, queue, assertNoSecrets } = await scenario(t, {
    WORKER_QUEUE_TYPE: process.env.RELIABILITY_QUEUE_TYPE ?? 'quorum',
    WORKER_CONCURRENCY: '20',
    RETRY_INITIAL_DELAY_MS: '4000',
    RETRY_MAX_ATTEMPTS: '3',
  });
  const workers = [spawn(), spawn()];
  await Promise.all(workers.map(consuming));
  const total = 400;
  // Half fail once and wait 4 s in <queue>.retry.4000 while the broker goes down and up.
  await ledger.send(Array.from({ length: total }, (_, n) => ({ n, failAttempts: n % 2, sleepMs: 5 })));
  const broker = await rawBroker();
  await waitFor(
    'the retry queue to hold the failed half',
    async () => (await broker.count(`${queue}.retry.4000`)).messageCount >= total / 4,
    30_000,
  );
  const waitingInRetry = (await broker.count(`${queue}.retry.4000`)).messageCount;
  await broker.close();
  ctl('stop_app');
  // The outage outlasts the retry delay, so the copies expire while the broker is down and are dead-lettered back
  // as the queues recover: the hop that classic (at-most-once) dead-lettering loses when the work queue is not up yet.
  await new Promise((resolve) => setTimeout(resolve, 5000));
  ctl('start_app');
  ctl('await_startup');
  let tally: Awaited<ReturnType<typeof ledger.settled>>;
  try {
    tally = await ledger.settled(120_000);
  } catch (error) {
    // Say where the missing tasks are before failing.
    t.log(
      ctl('-q', 'list_queues', 'name', 'type', 'messages_ready', 'messages_unacknowledged', 'consumers')
        .split('\n')
        .filter((l) => l.includes(queue))
        .join('\n'),
    );
    for (const [i, w] of workers.entries())
      t.log(
        `worker ${i}:\n${w
          .output()
          .split('\n')
          .filter((l) => !l.includes('"task '))
          .slice(-15)
          .join('\n')}`,
      );
    throw error;
  }
  const reconnects = workers.map((w) => w.records.filter((r) => String(r.msg).startsWith('consuming from')).length - 1);
  recordFigures('broker-restart', { ...tally, waitingInRetryAtRestart: waitingInRetry, reconnectsPerWorker: reconnects });
  assertNoSecrets();
  t.is(tally.lost, 0, show(tally));
  t.is(tally.completed, total);
  t.true(
    reconnects.every((n) => n >= 1),
    `both workers consumed again after the restart (${reconnects.join(', ')})`,
  );
});
