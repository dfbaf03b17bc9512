import test from 'ava';
import { rawBroker, waitFor } from '../helpers/broker.js';
import { consuming } from '../helpers/process.js';
import { ctl, hasRabbitmqctl } from '../helpers/rabbitmqctl.js';
import { recordFigures, scenario } from './harness.js';

// RabbitMQ 3.10 has no per-queue consumer timeout (x-consumer-timeout came in 3.12), so the test lowers the
// broker-wide one for its duration. The suite is serial; the teardown restores the default (30 min).
// Where rabbitmqctl cannot run (not root, no broker tools), the scenario is reported as skipped, not passed.
const withRabbitmqctl = hasRabbitmqctl() ? test : test.skip;

withRabbitmqctl(
  'a task longer than the broker consumer timeout: the channel is closed, the worker recovers, the task is bounded by the delivery limit',
  async (t) => {
    const before = ctl('eval', 'application:get_env(rabbit, consumer_timeout).').trim();
    t.teardown(() => {
      ctl('eval', 'application:set_env(rabbit, consumer_timeout, 1800000).');
      ctl('eval', 'application:set_env(rabbit, channel_tick_interval, 60000).');
    });
    ctl('eval', 'application:set_env(rabbit, consumer_timeout, 1000).');
    ctl('eval', 'application:set_env(rabbit, channel_tick_interval, 200).');
    const { ledger, spawn, queue, assertNoSecrets } = await scenario(t, { WORKER_DELIVERY_LIMIT: '2', WORKER_CONCURRENCY: '5' });
    const worker = spawn();
    await consuming(worker);
    const [slowId] = await ledger.send([{ n: 0, sleepMs: 4000 }]);
    const fast = await ledger.send(Array.from({ length: 20 }, (_, n) => ({ n: n + 1 })));
    await worker.waitForLog((r) => String(r.msg).includes("longer than the broker's consumer_timeout"), 30_000);
    const broker = await rawBroker();
    t.teardown(() => broker.close());
    await waitFor('the slow task in <queue>.dead', async () => (await broker.count(`${queue}.dead`)).messageCount === 1, 60_000);
    const [dead] = await broker.drain(`${queue}.dead`);
    t.is(dead?.properties.messageId, slowId);
    const death = (dead?.properties.headers?.['x-death'] as Array<{ reason: string }> | undefined)?.[0];
    t.is(death?.reason, 'delivery_limit');
    await waitFor('the fast tasks', () => fast.every((id) => ledger.outcome(id)?.completed === 1), 30_000);
    await waitFor(
      'the worker to consume again',
      () => worker.records.filter((r) => String(r.msg).startsWith('consuming from')).length >= 2,
    );
    const channelCloses = worker.records.filter((r) => String(r.msg).includes("longer than the broker's consumer_timeout")).length;
    recordFigures('consumer-timeout', { brokerDefault: before, channelCloses, fastCompleted: fast.length, slowDeadLettered: 1 });
    assertNoSecrets();
  },
);
