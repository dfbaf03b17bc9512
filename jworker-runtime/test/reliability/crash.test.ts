import test from 'ava';
import { waitFor } from '../helpers/broker.js';
import { consuming } from '../helpers/process.js';
import { recordFigures, scenario, show } from './harness.js';

test.serial('a worker SIGKILLed with tasks in flight: the other instance finishes them', async (t) => {
  const { ledger, spawn, assertNoSecrets } = await scenario(t, { WORKER_CONCURRENCY: '10' });
  const [victim, survivor] = [spawn(), spawn()];
  await Promise.all([consuming(victim), consuming(survivor)]);
  const total = 500;
  await ledger.send(Array.from({ length: total }, (_, n) => ({ n, sleepMs: 40 })));
  await waitFor('a fifth done', () => ledger.tally().completed >= total / 5, 60_000);
  const inFlightAtKill =
    victim.records.filter((r) => r.msg === 'task started').length - victim.records.filter((r) => r.msg === 'task completed').length;
  victim.child.kill('SIGKILL');
  t.is((await victim.exited).signal, 'SIGKILL');
  const tally = await ledger.settled(60_000);
  const redelivered = survivor.records.filter((r) => r.msg === 'task started' && r.redelivered === true).length;
  recordFigures('worker-crash', { ...tally, inFlightAtKill, redeliveredToSurvivor: redelivered });
  assertNoSecrets();
  t.is(tally.lost, 0, show(tally));
  t.is(tally.completed, total);
  t.true(inFlightAtKill > 0, 'the kill hit tasks in flight');
  t.true(redelivered >= inFlightAtKill - tally.duplicates, `${redelivered} redelivered`);
});

test.serial('SIGTERM under load: tasks in flight finish, the rest go to the other worker, exit code 0', async (t) => {
  const { ledger, spawn, assertNoSecrets } = await scenario(t, { WORKER_CONCURRENCY: '10', SHUTDOWN_TIMEOUT_MS: '10000' });
  const [leaving, staying] = [spawn(), spawn()];
  await Promise.all([consuming(leaving), consuming(staying)]);
  const total = 400;
  await ledger.send(Array.from({ length: total }, (_, n) => ({ n, sleepMs: 100 })));
  await waitFor('a quarter done', () => ledger.tally().completed >= total / 4, 60_000);
  leaving.child.kill('SIGTERM');
  const exit = await leaving.exited;
  const started = leaving.records.filter((r) => r.msg === 'task started').length;
  const finished = leaving.records.filter((r) => r.msg === 'task completed').length;
  const aborted = leaving.records.filter((r) => String(r.msg).startsWith('task aborted')).length;
  const tally = await ledger.settled(60_000);
  recordFigures('sigterm-under-load', { ...tally, exitCode: exit.code, startedByLeaving: started, finishedByLeaving: finished, aborted });
  assertNoSecrets();
  t.deepEqual(exit, { code: 0, signal: null });
  t.is(aborted, 0, 'every task in flight finished within the shutdown timeout');
  t.is(finished, started);
  t.is(tally.lost, 0, show(tally));
  t.is(tally.completed, total);
});
