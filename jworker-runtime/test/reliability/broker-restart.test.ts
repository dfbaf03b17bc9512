import test, { type ExecutionContext } from 'ava';
import { HEADERS } from '../../src/index.js';
import { DELAY_BUCKETS_MS } from '../../src/wire/delay.js';
import { queueNames } from '../../src/wire/names.js';
import { rawBroker, waitFor } from '../helpers/broker.js';
import { consuming, type WorkerProcess } from '../helpers/process.js';
import { ctl, hasRabbitmqctl } from '../helpers/rabbitmqctl.js';
import { recordFigures, scenario, show } from './harness.js';
import type { Ledger, Tally } from './ledger.js';

// Restarts the broker's app: it runs alone (the suite is serial) and restores the broker even when it fails.
// Where rabbitmqctl cannot run (not root, no broker tools), the scenario is reported as skipped, not passed.
const withRabbitmqctl = hasRabbitmqctl() ? test : test.skip;

/**
 * Stops the broker's app for `outageMs`, starts it again, and waits for every task sent to be accounted for; on a
 * timeout it logs where the missing tasks are (the queues, the workers' last lines) before failing.
 */
async function restartThenSettle(
  t: ExecutionContext,
  run: { ledger: Ledger; queue: string; workers: readonly WorkerProcess[] },
  outageMs: number,
  settleMs: number,
): Promise<Tally> {
  ctl('stop_app');
  await new Promise((resolve) => setTimeout(resolve, outageMs));
  ctl('start_app');
  ctl('await_startup');
  try {
    return await run.ledger.settled(settleMs);
  } catch (error) {
    t.log(
      ctl('-q', 'list_queues', 'name', 'type', 'messages_ready', 'messages_unacknowledged', 'consumers')
        .split('\n')
        .filter((l) => l.includes(run.queue))
        .join('\n'),
    );
    for (const [i, w] of run.workers.entries())
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
}

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
  // The outage outlasts the retry delay, so the copies expire while the broker is down and are dead-lettered back
  // as the queues recover: the hop that classic (at-most-once) dead-lettering loses when the work queue is not up yet.
  const tally = await restartThenSettle(t, { ledger, queue, workers }, 5000, 120_000);
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

withRabbitmqctl('a broker restart while delayed tasks wait in the delay buckets: none lost, none early', async (t) => {
  t.teardown(() => {
    ctl('start_app');
  });
  const { ledger, spawn, queue, assertNoSecrets } = await scenario(t, {
    WORKER_QUEUE_TYPE: process.env.RELIABILITY_QUEUE_TYPE ?? 'quorum',
    WORKER_CONCURRENCY: '20',
  });
  const workers = [spawn(), spawn()];
  await Promise.all(workers.map(consuming));
  const sentAt = Date.now();
  // Three batches: due during the outage, just after it, and well after it (several hops each).
  const batches = [
    { count: 150, notBefore: sentAt + 4_000 },
    { count: 150, notBefore: sentAt + 15_000 },
    { count: 100, notBefore: sentAt + 40_000 },
  ];
  const due = new Map<string, number>();
  for (const [b, batch] of batches.entries()) {
    const tasks = Array.from({ length: batch.count }, (_, i) => ({ n: b * 1000 + i, sleepMs: 5 }));
    const ids = await ledger.send(tasks, { headers: { [HEADERS.notBefore]: batch.notBefore } });
    for (const id of ids) due.set(id, batch.notBefore);
  }
  const total = due.size;
  const broker = await rawBroker();
  const names = queueNames(queue);
  const inBuckets = async () => {
    let sum = 0;
    for (const bucket of DELAY_BUCKETS_MS) sum += (await broker.count(names.delay(bucket))).messageCount;
    return sum;
  };
  await waitFor('the tasks to wait in the delay buckets', async () => (await inBuckets()) >= total * 0.9, 30_000);
  const waitingInDelay = await inBuckets();
  await broker.close();
  // The outage outlasts the first batch's time: its copies expire while the broker is down and must be
  // dead-lettered back to the work queue (at least once) as the queues recover.
  const tally = await restartThenSettle(t, { ledger, queue, workers }, 8000, 150_000);
  // A reply comes after its task started; a reply before the task's time would prove it started early.
  const early = [...due].filter(([id, notBefore]) => (ledger.outcome(id)?.firstAt ?? Number.POSITIVE_INFINITY) < notBefore);
  recordFigures('broker-restart-delays', { ...tally, waitingInDelayAtRestart: waitingInDelay, early: early.length });
  assertNoSecrets();
  t.is(tally.lost, 0, show(tally));
  t.is(tally.completed, total);
  t.is(early.length, 0, `${early.length} tasks answered before their time`);
});
