import { request as httpRequest } from 'node:http';
import test from 'ava';
import { endpointRates, taskCounters } from '../src/cli/dashboard/rates.js';
import { HEADERS } from '../src/index.js';
import { declaredQueue, type RawBroker, waitFor } from './helpers/broker.js';
import { cli } from './helpers/cli.js';
import { startTestDashboard } from './helpers/dashboard.js';
import { startSample } from './helpers/worker.js';

// The dashboard's HTTP API without a browser: what it refuses, how it pages a large dead queue, and its numbers.

/** A browser-like client: keeps the session cookie and sends the CSRF token it was given. */
async function session(url: string) {
  const first = await fetch(new URL('api/session', url));
  const cookie = (first.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const { csrf } = (await first.json()) as { csrf: string };
  const call = async (path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(new URL(path, url), {
      method: body === undefined ? 'GET' : 'POST',
      headers: { cookie, ...(body === undefined ? {} : { 'content-type': 'application/json', 'x-csrf-token': csrf }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> & { error?: string } };
  };
  return { cookie, csrf, call };
}

/** `n` dead letters d-0 … d-(n-1), oldest first, as a worker writes them; one wait for all the confirms. */
async function fillDead(broker: RawBroker, queue: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    broker.channel.sendToQueue(`${queue}.dead`, Buffer.from(JSON.stringify({ i })), {
      persistent: true,
      messageId: `d-${i}`,
      headers: { [HEADERS.error]: i % 2 ? `odd failure ${i}` : `even failure ${i}`, [HEADERS.errorCode]: i % 2 ? 'ODD' : 'EVEN' },
    });
  }
  await broker.channel.waitForConfirms();
}

test('every answer carries the security headers; the page has no inline script', async (t) => {
  const dashboard = await startTestDashboard(t, ['jw-some-queue']);
  for (const path of ['', 'dashboard.js', 'dashboard.css', 'api/session', 'api/nothing-here']) {
    const response = await fetch(new URL(path, dashboard.url));
    const csp = response.headers.get('content-security-policy') ?? '';
    t.regex(csp, /script-src 'self'/, path);
    t.regex(csp, /frame-ancestors 'none'/, path);
    t.notRegex(csp, /unsafe-inline/, path);
    t.is(response.headers.get('x-content-type-options'), 'nosniff', path);
    t.is(response.headers.get('x-frame-options'), 'DENY', path);
  }
  const html = await (await fetch(dashboard.url)).text();
  t.notRegex(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'every script is a file');
  t.notRegex(html, /\son\w+=/, 'no inline event handler');
  t.notRegex(html, /\sstyle=/, 'no inline style');
});

test('state-changing requests need JSON, the session CSRF token and a same-origin request', async (t) => {
  const { queue } = await declaredQueue(t, 'dash-csrf');
  const dashboard = await startTestDashboard(t, [queue]);
  const { call, cookie } = await session(dashboard.url);
  const refresh = (headers: Record<string, string>, body = JSON.stringify({ queue })) =>
    fetch(new URL('api/dead/refresh', dashboard.url), { method: 'POST', headers: { cookie, ...headers }, body });

  t.is((await refresh({ 'content-type': 'application/json' })).status, 403, 'no CSRF token');
  t.is((await refresh({ 'content-type': 'application/json', 'x-csrf-token': 'guess' })).status, 403, 'a wrong CSRF token');
  const { csrf } = await (await fetch(new URL('api/session', dashboard.url), { headers: { cookie } })).json();
  const good = { 'content-type': 'application/json', 'x-csrf-token': csrf as string };
  t.is((await refresh({ ...good, 'content-type': 'text/plain' })).status, 415, 'a form or text/plain post');
  t.is((await refresh({ ...good, origin: 'http://evil.example' })).status, 403, 'another origin');
  t.is((await refresh({ ...good, 'sec-fetch-site': 'cross-site' })).status, 403, 'a cross-site fetch');
  t.is((await refresh(good)).status, 200);
  // fetch() will not send another Host header: node:http will, as a page on a DNS-rebound name would.
  const rebound = (method: string, path: string) =>
    new Promise<number>((resolve, reject) => {
      const request = httpRequest(
        new URL(path, dashboard.url),
        { method, headers: { host: 'attacker.example:80', cookie, ...good } },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      request.on('error', reject);
      request.end(method === 'POST' ? JSON.stringify({ queue }) : undefined);
    });
  t.is(await rebound('POST', 'api/dead/refresh'), 421, 'a DNS-rebound host name');
  t.is(await rebound('GET', 'api/overview'), 421);
  t.is(await rebound('GET', '/'), 421);
  t.is((await call('api/overview')).status, 200);
});

test('jworker dashboard refuses a non-loopback host without DASHBOARD_TOKEN, a short token, and no queues', async (t) => {
  const open = await cli(['dashboard', '--host', '0.0.0.0', '--queues', 'jw-q']);
  t.is(open.code, 2);
  t.regex(open.stderr, /--host 0\.0\.0\.0 is reachable from other machines; set DASHBOARD_TOKEN/);
  const short = await cli(['dashboard', '--queues', 'jw-q'], { env: { DASHBOARD_TOKEN: 'short' } });
  t.is(short.code, 2);
  t.regex(short.stderr, /DASHBOARD_TOKEN must be at least 16 characters/);
  t.notRegex(short.stderr, /short\b(?!.*characters)/);
  const none = await cli(['dashboard']);
  t.is(none.code, 2);
  t.regex(none.stderr, /--queues q1,q2 or JWORKER_QUEUES/);
  const bad = await cli(['dashboard', '--queues', 'ok,amq.bad']);
  t.regex(bad.stderr, /bad queue name "amq\.bad"/);
  const help = await cli(['dashboard', '--help']);
  t.regex(help.stdout, /jworker dashboard \[--port 8080\] \[--host 127\.0\.0\.1\] \[--queues q1,q2\]/);
});

test('a large dead queue is paged newest first from one walk that keeps its order and count', async (t) => {
  const { queue, broker } = await declaredQueue(t, 'dash-page');
  await fillDead(broker, queue, 600);
  const dashboard = await startTestDashboard(t, [queue], { maxLetters: 500 });
  const { call } = await session(dashboard.url);
  const ids = (page: { json: Record<string, unknown> }) => (page.json.letters as Array<{ taskId: string }>).map((l) => l.taskId);

  t.like((await call(`api/dead?queue=${queue}`)).json, { snapshot: null }, 'nothing is walked by a GET');
  const refreshed = await call('api/dead/refresh', { queue });
  t.like(refreshed.json, { snapshot: { total: 600, kept: 500 } });
  const first = await call(`api/dead?queue=${queue}&limit=3`);
  t.deepEqual(ids(first), ['d-599', 'd-598', 'd-597']);
  t.is(first.json.matches, 500);
  t.deepEqual(ids(await call(`api/dead?queue=${queue}&offset=498&limit=50`)), ['d-101', 'd-100'], 'the oldest 100 are not kept');
  const search = await call(`api/dead?queue=${queue}&search=odd%20failure%2011&limit=500`);
  const expected = Array.from({ length: 500 }, (_, i) => 599 - i).filter(
    (i) => i % 2 === 1 && `odd failure ${i}`.includes('odd failure 11'),
  );
  t.deepEqual(
    ids(search),
    expected.map((i) => `d-${i}`),
    'newest first, by error text, ignoring case',
  );
  t.is((await call(`api/dead?queue=${queue}&search=EVEN&limit=500`)).json.matches, 250, 'a code matches too');

  // The walk handed every letter back in place: the CLI lists the same 600 in the same order.
  const listed = await cli(['dead', 'list', queue, '--json', '--limit', '600']);
  t.deepEqual(
    (JSON.parse(listed.stdout) as Array<{ taskId: string }>).map((l) => l.taskId),
    Array.from({ length: 600 }, (_, i) => `d-${i}`),
  );

  // A bulk action states the count it was confirmed for; a stale count is refused and nothing moves.
  const stale = await call('api/dead/purge', { queue, all: true, search: 'EVEN', expected: 249 });
  t.is(stale.status, 409);
  t.regex(stale.json.error ?? '', /holds 250 dead letters now, not 249/);
  const purged = await call('api/dead/purge', { queue, all: true, search: 'EVEN', expected: 250 });
  t.like(purged.json, { action: 'purge', requested: 250, done: 250, gone: 0, snapshot: { total: 350, kept: 350 } });
  await waitFor('350 dead letters left', async () => (await broker.count(`${queue}.dead`)).messageCount === 350);
});

test('enqueue publishes a task to a listed queue only; cancel cancels one; delayed tasks are counted', async (t) => {
  const { queue, worker, client } = await startSample(t);
  const dashboard = await startTestDashboard(t, [queue]);
  const { call } = await session(dashboard.url);
  const done = new Promise<string>((resolve) => worker.events.on('taskEnd', (record) => resolve(`${record.taskId} ${record.outcome}`)));
  const sent = await call('api/enqueue', { queue, task: { action: 'echo', value: 1 }, taskId: 'from-the-page' });
  t.like(sent, { status: 200, json: { queue, taskId: 'from-the-page', enqueued: 1 } });
  t.is(await done, 'from-the-page completed');
  t.is((await call('api/enqueue', { queue: 'jw-not-listed', task: {} })).status, 404);
  t.is((await call('api/enqueue', { queue })).status, 400);
  t.is((await call('api/cancel', { queue: 'jw-not-listed', taskId: 'x' })).status, 404, 'not a listed queue');
  t.is((await call('api/cancel', { queue })).status, 400, 'no task id');
  const outcome = new Promise<string>((resolve) => worker.events.on('taskEnd', (record) => resolve(`${record.taskId} ${record.outcome}`)));
  await call('api/enqueue', { queue, task: { action: 'sleep', ms: 60_000 }, taskId: 'long' });
  await waitFor('the long task to start', () => worker.inFlight === 1);
  t.like(await call('api/cancel', { queue, taskId: 'long' }), { status: 200, json: { queue, taskId: 'long', cancelled: 1 } });
  t.is(await outcome, 'long cancelled');
  await client.enqueue(queue, { action: 'echo' }, { delayMs: 3_600_000 });
  await waitFor('the delayed task in a bucket', async () => {
    const row = ((await call('api/overview')).json as { queues: Array<{ queue: string; delayed: number }> }).queues[0];
    return row?.delayed === 1;
  });
  t.like((await call('api/overview')).json, { capabilities: { delayed: true, cancel: true } });
});

test("rates come from the workers' metrics endpoints: completed and failed tasks per second", async (t) => {
  const { queue, worker, client } = await startSample(t, { metricsPort: 0, metricsHost: '127.0.0.1' });
  const source = endpointRates([`http://127.0.0.1:${worker.metricsPort}/metrics`]);
  t.deepEqual((await source.read()).queues, {}, 'the first reading gives no rate yet');
  // The caller can have its reply before the worker counts the outcome: wait for both tasks' ends.
  let ended = 0;
  worker.events.on('taskEnd', () => ended++);
  await client.call(queue, { action: 'echo', value: 1 });
  await client.call(queue, { action: 'permanent', value: 2 }).catch(() => {});
  await waitFor('both tasks counted', () => ended === 2);
  const rates = await source.read();
  t.deepEqual(rates.errors, []);
  t.true((rates.queues[queue]?.completed ?? 0) > 0);
  t.true((rates.queues[queue]?.failed ?? 0) > 0);
  t.deepEqual(
    [...taskCounters('jworker_tasks_total{worker_type="w",queue="q",outcome="completed"} 3\n# x\nother 1\n')],
    [['q\u0000completed', 3]],
  );
  const down = await endpointRates(['http://127.0.0.1:9/metrics']).read();
  t.is(down.errors.length, 1);
});
