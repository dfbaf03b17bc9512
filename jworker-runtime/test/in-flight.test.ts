import test from 'ava';
import { InFlight } from '../src/worker/in-flight.js';
import { TaskAbort } from '../src/worker/task-abort.js';

test('counts deliveries in and out, and waitIdle resolves true when the last one leaves', async (t) => {
  const inFlight = new InFlight();
  t.true(await inFlight.waitIdle(10), 'idle at once when nothing is in flight');
  inFlight.enter();
  inFlight.enter();
  t.is(inFlight.count, 2);
  const idle = inFlight.waitIdle(5_000);
  inFlight.leave();
  t.is(inFlight.count, 1);
  setImmediate(() => inFlight.leave());
  t.true(await idle);
  t.is(inFlight.count, 0);
});

test('waitIdle resolves false after its timeout when deliveries are still in flight', async (t) => {
  const inFlight = new InFlight();
  inFlight.enter();
  t.false(await inFlight.waitIdle(20));
  t.is(inFlight.count, 1);
});

test('abortAll aborts the running attempts only, with the reason given', (t) => {
  const inFlight = new InFlight();
  const running = new TaskAbort();
  const finished = new TaskAbort();
  inFlight.attemptStarted(running);
  inFlight.attemptStarted(finished);
  inFlight.attemptEnded(finished);
  const reason = new Error('forced stop');
  inFlight.abortAll(reason);
  t.true(running.aborted);
  t.is(running.reason, reason);
  t.false(finished.aborted);
});
