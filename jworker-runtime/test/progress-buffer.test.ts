import test from 'ava';
import type { TaskEvent, TaskStatus } from '../src/index.js';
import { EventBuffer } from '../src/progress/event-buffer.js';

function ev(taskId: string, status: TaskStatus, extra: Partial<TaskEvent> = {}): TaskEvent {
  return { taskId, workerType: 'w', queue: 'q', status, attempt: 1, maxAttempts: 3, timestamp: new Date().toISOString(), ...extra };
}

const summary = (events: readonly TaskEvent[]) => events.map((e) => `${e.taskId}:${e.status}${e.percent === undefined ? '' : e.percent}`);

test('consecutive PROGRESS events of one task coalesce while unsent: the latest wins, in the first one’s place', (t) => {
  const buffer = new EventBuffer(100);
  buffer.push(ev('a', 'STARTED'));
  buffer.push(ev('a', 'PROGRESS', { percent: 10 }));
  buffer.push(ev('b', 'STARTED'));
  buffer.push(ev('a', 'PROGRESS', { percent: 20 }));
  buffer.push(ev('a', 'PROGRESS', { percent: 30 }));
  buffer.push(ev('a', 'COMPLETED', { percent: 100 }));
  t.deepEqual(summary(buffer.takeBatch(100)), ['a:STARTED', 'a:PROGRESS30', 'b:STARTED', 'a:COMPLETED100']);
});

test('a status event ends coalescing: PROGRESS never moves across RETRYING or STARTED', (t) => {
  const buffer = new EventBuffer(100);
  for (const [status, percent] of [
    ['STARTED'],
    ['PROGRESS', 10],
    ['PROGRESS', 20],
    ['RETRYING'],
    ['STARTED'],
    ['PROGRESS', 40],
    ['PROGRESS', 50],
    ['COMPLETED', 100],
  ] as const) {
    buffer.push(ev('a', status, percent === undefined ? {} : { percent }));
  }
  t.deepEqual(summary(buffer.takeBatch(100)), ['a:STARTED', 'a:PROGRESS20', 'a:RETRYING', 'a:STARTED', 'a:PROGRESS50', 'a:COMPLETED100']);
});

test('PROGRESS in flight is not replaced: a newer one is queued behind it', (t) => {
  const buffer = new EventBuffer(100);
  buffer.push(ev('a', 'PROGRESS', { percent: 10 }));
  t.deepEqual(summary(buffer.takeBatch(100)), ['a:PROGRESS10']);
  buffer.push(ev('a', 'PROGRESS', { percent: 20 }));
  buffer.push(ev('a', 'PROGRESS', { percent: 30 }));
  t.is(buffer.size, 2);
  t.is(buffer.ackBatch(), 1);
  t.deepEqual(summary(buffer.takeBatch(100)), ['a:PROGRESS30']);
});

test('a failed batch goes back to the front, in order, before newer events', (t) => {
  const buffer = new EventBuffer(100);
  buffer.push(ev('a', 'STARTED'));
  buffer.push(ev('b', 'STARTED'));
  t.is(buffer.takeBatch(1).length, 1);
  buffer.push(ev('a', 'COMPLETED'));
  buffer.returnBatch();
  t.deepEqual(summary(buffer.takeBatch(100)), ['a:STARTED', 'b:STARTED', 'a:COMPLETED']);
});

test('past the bound, the oldest PROGRESS events are dropped first and status events kept', (t) => {
  const buffer = new EventBuffer(10);
  const dropped: string[] = [];
  for (let i = 0; i < 5; i++) buffer.push(ev(`t${i}`, 'STARTED'));
  for (let i = 0; i < 20; i++) {
    const kind = buffer.push(ev(`t${i}`, 'PROGRESS', { percent: i }));
    if (kind) dropped.push(kind);
  }
  t.is(buffer.size, 10);
  t.is(dropped.length, 15);
  t.true(dropped.every((kind) => kind === 'PROGRESS'));
  const sent = buffer.takeBatch(100);
  t.deepEqual(
    sent.filter((e) => e.status === 'STARTED').map((e) => e.taskId),
    ['t0', 't1', 't2', 't3', 't4'],
  );
  t.deepEqual(
    sent.filter((e) => e.status === 'PROGRESS').map((e) => e.percent),
    [15, 16, 17, 18, 19],
  );
});

test('with no PROGRESS left to drop, the oldest status events go', (t) => {
  const buffer = new EventBuffer(3);
  const dropped: string[] = [];
  for (let i = 0; i < 5; i++) {
    const kind = buffer.push(ev(`t${i}`, 'STARTED'));
    if (kind) dropped.push(kind);
  }
  t.deepEqual(dropped, ['STATUS', 'STATUS']);
  t.deepEqual(summary(buffer.takeBatch(100)), ['t2:STARTED', 't3:STARTED', 't4:STARTED']);
});

test('events in flight are never dropped; the oldest queued one is', (t) => {
  const buffer = new EventBuffer(3);
  buffer.push(ev('a', 'STARTED'));
  buffer.push(ev('b', 'STARTED'));
  t.is(buffer.takeBatch(2).length, 2);
  buffer.push(ev('c', 'STARTED'));
  t.is(buffer.push(ev('d', 'STARTED')), 'STATUS');
  t.is(buffer.size, 3);
  t.is(buffer.ackBatch(), 2);
  t.deepEqual(summary(buffer.takeBatch(100)), ['d:STARTED']);
});

test('memory stays bounded under a flood while nothing is sent', (t) => {
  const max = 1000;
  const buffer = new EventBuffer(max);
  let peak = 0;
  for (let i = 0; i < 300_000; i++) {
    buffer.push(ev(`t${i % 5000}`, i % 7 === 0 ? 'STARTED' : 'PROGRESS', { percent: i % 100 }));
    if (i % 997 === 0) peak = Math.max(peak, buffer.footprint);
  }
  t.is(buffer.size, max);
  t.true(peak <= 4 * max + 3 * 1024, `footprint peaked at ${peak}`);
});

test('memory stays bounded while batches keep failing and events keep coming', (t) => {
  const max = 500;
  const buffer = new EventBuffer(max);
  let peak = 0;
  for (let i = 0; i < 200_000; i++) {
    buffer.push(ev(`t${i % 3000}`, i % 3 === 0 ? 'STARTED' : 'PROGRESS'));
    if (i % 50 === 0) {
      if (buffer.busy) buffer.returnBatch();
      else buffer.takeBatch(100);
    }
    if (i % 991 === 0) peak = Math.max(peak, buffer.footprint);
  }
  t.true(buffer.size <= max);
  t.true(peak <= 4 * max + 3 * 1024, `footprint peaked at ${peak}`);
});

test('clear forgets everything and reports how many events were lost', (t) => {
  const buffer = new EventBuffer(10);
  buffer.push(ev('a', 'STARTED'));
  buffer.push(ev('a', 'PROGRESS'));
  buffer.takeBatch(1);
  t.is(buffer.clear(), 2);
  t.is(buffer.size, 0);
  t.deepEqual(buffer.takeBatch(10), []);
});
