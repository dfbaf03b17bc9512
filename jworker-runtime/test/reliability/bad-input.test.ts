import test from 'ava';
import { HEADERS } from '../../src/index.js';
import { rawBroker, waitFor } from '../helpers/broker.js';
import { consuming } from '../helpers/process.js';
import { recordFigures, scenario, show } from './harness.js';

test('bad input sent while good tasks flow: each ends in <queue>.dead with a reason; the good ones complete', async (t) => {
  const { ledger, spawn, queue, workers, assertNoSecrets } = await scenario(t, { MAX_MESSAGE_BYTES: '65536', WORKER_CONCURRENCY: '10' });
  spawn();
  await consuming(workers[0]!);
  const good = ledger.send(Array.from({ length: 500 }, (_, n) => ({ n, sleepMs: 2 })));
  const bad = {
    INVALID_JSON: await ledger.sendRaw(Buffer.from('{"n": 1,,}')),
    INVALID_TASK: await ledger.sendRaw(Buffer.from(JSON.stringify({ n: 'seven' }))),
    TOO_LARGE: await ledger.sendRaw(Buffer.from(JSON.stringify({ n: 1, pad: 'x'.repeat(100_000) }))),
    BAD_HEADER: await ledger.sendRaw(Buffer.from(JSON.stringify({ n: 1 })), { [HEADERS.attempt]: 'abc' }),
    UNSAFE_PROTO: await ledger.sendRaw(Buffer.from('{"n": 1, "__proto__": {"polluted": true}}')),
    UNSAFE_CONSTRUCTOR: await ledger.sendRaw(Buffer.from('{"n": 2, "constructor": {"prototype": {"polluted": true}}}')),
  };
  await good;
  const tally = await ledger.settled(60_000);
  t.is(tally.lost, 0, show(tally));
  t.is(tally.completed, 500);
  t.is(tally.dead, 6);
  const broker = await rawBroker();
  t.teardown(() => broker.close());
  await waitFor('six dead letters', async () => (await broker.count(`${queue}.dead`)).messageCount === 6);
  const dead = new Map((await broker.drain(`${queue}.dead`)).map((m) => [m.properties.messageId as string, m.properties.headers ?? {}]));
  const expected: Record<keyof typeof bad, [string, RegExp]> = {
    INVALID_JSON: ['INVALID_JSON', /^body is not valid JSON/],
    INVALID_TASK: ['INVALID_TASK', /^task failed validation: n: /],
    TOO_LARGE: ['TOO_LARGE', /exceeds the limit of 65536 bytes/],
    BAD_HEADER: ['BAD_HEADER', /header x-jworker-attempt must be a positive integer, got "abc"/],
    UNSAFE_PROTO: ['UNSAFE_KEYS', /"__proto__"/],
    UNSAFE_CONSTRUCTOR: ['UNSAFE_KEYS', /"constructor"/],
  };
  for (const [name, id] of Object.entries(bad) as Array<[keyof typeof bad, string]>) {
    const headers = dead.get(id);
    const [code, message] = expected[name];
    t.is(headers?.[HEADERS.errorCode], code, name);
    t.regex(String(headers?.[HEADERS.error]), message, name);
    t.is(headers?.[HEADERS.reason], 'invalid', name);
  }
  t.is(workers[0]?.child.exitCode, null, 'the worker kept running');
  recordFigures('bad-input', { ...tally, badInputs: Object.keys(bad).length });
  assertNoSecrets();
});
