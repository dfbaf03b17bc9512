import { randomUUID } from 'node:crypto';
import type { ExecutionContext } from 'ava';
import test from 'ava';
import type { BrowserContext, Page } from 'playwright-core';
import { BaseWorker, HEADERS, type TaskClient, type TaskContext, WorkerError } from '../src/index.js';
import { AMQP_URL, declaredQueue, uniqueQueue, waitFor } from './helpers/broker.js';
import { CHROMIUM, launchChromium, startTestDashboard } from './helpers/dashboard.js';
import { captureLogger } from './helpers/log-capture.js';
import { startSample, startWorker } from './helpers/worker.js';

// The dashboard in a real browser (Debian's Chromium driven by playwright-core) against the real broker and real
// workers. DASHBOARD_SCREENSHOT=<path.png> also saves a screenshot of the page with four dead letters (docs/dashboard.png).

/** A worker whose upstream is down until the test "fixes" it: the failure an operator replays after a fix. */
class FixableWorker extends BaseWorker<{ readonly n: string }, { readonly done: string }> {
  broken = true;
  readonly completed: string[] = [];

  protected getWorkerType(): string {
    return 'fixable';
  }

  protected async executeTask(task: { readonly n: string }, context: TaskContext): Promise<{ readonly done: string }> {
    if (this.broken) throw new WorkerError(`upstream refused ${task.n}`, { permanent: true, code: 'UPSTREAM_DOWN' });
    this.completed.push(context.taskId);
    return { done: task.n };
  }
}

let chromium: Awaited<ReturnType<typeof launchChromium>> | undefined;
const browserTest = CHROMIUM ? test.serial : test.serial.skip;
if (!CHROMIUM) console.log('dashboard browser tests skipped: no Chromium at /usr/bin/chromium (apt-get install -y chromium)');

test.before(async () => {
  if (CHROMIUM) chromium = await launchChromium();
});
test.after.always(async () => {
  await chromium?.close();
});

async function openPage(t: ExecutionContext, url: string): Promise<{ page: Page; dialogs: string[] }> {
  const context = chromium?.browser as BrowserContext;
  const page = await context.newPage();
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    dialog.dismiss().catch(() => {});
  });
  t.teardown(() => page.close());
  await page.goto(url);
  return { page, dialogs };
}

/** Starts a FixableWorker on a fresh queue, with a dashboard for it. */
async function fixableSetup(t: ExecutionContext) {
  const queue = uniqueQueue('dash');
  const worker = new FixableWorker({
    amqpUrl: AMQP_URL,
    queue,
    logger: captureLogger('fixable', 'fatal').logger,
    retry: { maxAttempts: 1 },
  });
  const started = await startWorker(t, worker, queue, { maxAttempts: 1 });
  const dashboard = await startTestDashboard(t, [queue]);
  return { ...started, worker, dashboard };
}

const row = (page: Page, text: string) => page.locator('#letters tbody tr').filter({ hasText: text });
const deadCount = async (broker: { count(q: string): Promise<{ messageCount: number }> }, queue: string) =>
  (await broker.count(`${queue}.dead`)).messageCount;

async function enqueueFailing(client: TaskClient, queue: string, names: readonly string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const n of names) {
    const taskId = `${n}-${randomUUID().slice(0, 6)}`;
    await client.enqueue(queue, { n }, { taskId });
    ids.push(taskId);
  }
  return ids;
}

browserTest('the page lists every queue with its ready, in-retry, delayed, dead and consumer counts', async (t) => {
  const { queue: idle, broker } = await declaredQueue(t, 'dash-idle');
  for (let i = 0; i < 3; i++) await broker.publish(idle, JSON.stringify({ i }));
  await broker.publish(`${idle}.retry.8000`, '{}');
  for (let i = 0; i < 2; i++) await broker.publish(`${idle}.dead`, JSON.stringify({ i }), { messageId: `dead-${i}` });
  const busy = uniqueQueue('dash-busy');
  const worker = new FixableWorker({ amqpUrl: AMQP_URL, queue: busy, logger: captureLogger('fixable', 'fatal').logger });
  await startWorker(t, worker, busy);
  const dashboard = await startTestDashboard(t, [idle, busy]);

  const { page } = await openPage(t, dashboard.url);
  const cells = (queue: string) => page.locator('#queues tbody tr').filter({ hasText: queue }).locator('td');
  await cells(idle).first().waitFor();
  t.deepEqual((await cells(idle).allTextContents()).slice(0, 5), ['3', '1', '0', '2', '0']);
  t.deepEqual((await cells(busy).allTextContents()).slice(0, 5), ['0', '0', '0', '0', '1']);
  t.false(await page.locator('#cancel-id').isDisabled(), 'the Cancel form is enabled: this server can cancel');
  t.regex((await page.locator('#rates-note').textContent()) ?? '', /--prometheus-url or --metrics-url/);
});

browserTest('a dead letter from a failing worker shows its error; Replay moves exactly it back and the worker completes it', async (t) => {
  const { queue, worker, client, broker, dashboard } = await fixableSetup(t);
  const [a, b] = await enqueueFailing(client, queue, ['alpha', 'beta']);
  await waitFor('two dead letters', async () => (await deadCount(broker, queue)) === 2);

  const { page } = await openPage(t, dashboard.url);
  await page.locator('#queues tbody tr').filter({ hasText: queue }).getByRole('button', { name: 'Dead letters' }).click();
  await row(page, a ?? '').waitFor();
  t.deepEqual(
    (
      await row(page, a ?? '')
        .locator('td')
        .allTextContents()
    ).slice(0, 7),
    [
      a,
      'upstream refused alpha',
      'UPSTREAM_DOWN',
      'permanent',
      '1',
      'fixable',
      (await row(page, a ?? '')
        .locator('td')
        .nth(6)
        .textContent()) ?? '',
    ],
  );
  t.regex(
    (await row(page, a ?? '')
      .locator('td')
      .nth(6)
      .textContent()) ?? '',
    /^\d{4}-\d\d-\d\dT/,
  );
  t.is(
    await row(page, a ?? '')
      .locator('td')
      .nth(7)
      .textContent(),
    '{"n":"alpha"}',
  );

  worker.broken = false; // the cause is fixed
  await row(page, a ?? '')
    .getByRole('button', { name: 'Replay' })
    .click();
  await page
    .locator('#log li')
    .filter({ hasText: `Replayed 1 dead letter from ${queue}.dead to ${queue}` })
    .waitFor();
  await waitFor('the replayed task to complete', () => worker.completed.includes(a ?? ''));
  t.deepEqual(worker.completed, [a], 'exactly the replayed task ran, under its own task id');
  t.is(await deadCount(broker, queue), 1);
  await row(page, a ?? '').waitFor({ state: 'detached' });
  t.is(await page.locator('#letters tbody tr').count(), 1);
  t.is(await row(page, b ?? '').count(), 1, 'the other dead letter stays');
});

browserTest('Replay all (of a search) and Purge do what their confirmation said', async (t) => {
  const { queue, worker, client, broker, dashboard } = await fixableSetup(t);
  const ids = await enqueueFailing(client, queue, ['x-one', 'x-two', 'y-three', 'y-four']);
  await waitFor('four dead letters', async () => (await deadCount(broker, queue)) === 4);
  const { page, dialogs } = await openPage(t, dashboard.url);
  await page.locator('#queues tbody tr').filter({ hasText: queue }).getByRole('button', { name: 'Dead letters' }).click();
  await page.locator('#letters tbody tr').nth(3).waitFor();
  if (process.env.DASHBOARD_SCREENSHOT) await page.screenshot({ path: process.env.DASHBOARD_SCREENSHOT });

  // Replay all of a search: the confirmation names the count and the search, and exactly those come back.
  await page.getByLabel('Search task id, code or error').fill('x-');
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Replay all 2 matching' }).click();
  t.regex(
    (await page.locator('#confirm-text').textContent()) ?? '',
    new RegExp(`^Replay 2 dead letters matching “x-” from ${queue}\\.dead to ${queue}\\?`),
  );
  worker.broken = false;
  await page.getByRole('button', { name: 'Replay 2' }).click();
  await page
    .locator('#log li')
    .filter({ hasText: `Replayed 2 dead letters from ${queue}.dead to ${queue}` })
    .waitFor();
  await waitFor('two replayed tasks to complete', () => worker.completed.length === 2);
  t.deepEqual([...worker.completed].sort(), ids.filter((id) => id.startsWith('x-')).sort());
  t.is(await deadCount(broker, queue), 2);

  // Purge, cancelled first: nothing happens; then confirmed: the two left are deleted, and the log says so.
  await page.getByLabel('Search task id, code or error').fill('');
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Purge (2)' }).click();
  t.regex(
    (await page.locator('#confirm-text').textContent()) ?? '',
    new RegExp(`^Purge all 2 dead letters from ${queue}\\.dead\\? They are deleted for good`),
  );
  await page.keyboard.press('Escape');
  t.false(await page.locator('#confirm').isVisible());
  t.is(await deadCount(broker, queue), 2, 'cancelled: nothing purged');
  await page.getByRole('button', { name: 'Purge (2)' }).click();
  await page.getByRole('button', { name: 'Purge 2' }).click();
  await page
    .locator('#log li')
    .filter({ hasText: `Purged 2 dead letters from ${queue}.dead` })
    .waitFor();
  t.is(await deadCount(broker, queue), 0);
  t.is(worker.completed.length, 2, 'purged letters were not run');
  t.deepEqual(dialogs, []);

  // Replay all, no search: every letter of the snapshot.
  worker.broken = true;
  const more = await enqueueFailing(client, queue, ['p', 'q', 'r']);
  await waitFor('three dead letters', async () => (await deadCount(broker, queue)) === 3);
  await page.getByRole('button', { name: 'Refresh' }).click();
  await page.getByRole('button', { name: 'Replay all (3)' }).click();
  t.regex((await page.locator('#confirm-text').textContent()) ?? '', /^Replay all 3 dead letters from/);
  worker.broken = false;
  await page.getByRole('button', { name: 'Replay 3' }).click();
  await page.locator('#log li').filter({ hasText: 'Replayed 3 dead letters' }).waitFor();
  await waitFor('three more tasks to complete', () => worker.completed.length === 5);
  t.deepEqual(worker.completed.slice(2).sort(), [...more].sort());
  t.is(await deadCount(broker, queue), 0);
});

browserTest('a body or header holding markup is shown as text, and nothing in it runs', async (t) => {
  const { queue, broker } = await declaredQueue(t, 'dash-xss');
  const body = '{"note":"<img src=x onerror=alert(1)>"}';
  await broker.publish(`${queue}.dead`, body, {
    messageId: '<script>alert(2)</script>',
    headers: { [HEADERS.error]: '<b>bold</b><img src=y onerror=alert(3)>', [HEADERS.errorCode]: '<i>X</i>', [HEADERS.reason]: 'permanent' },
  });
  const dashboard = await startTestDashboard(t, [queue]);
  const { page, dialogs } = await openPage(t, dashboard.url);
  await page.locator('#queues tbody tr').filter({ hasText: queue }).getByRole('button', { name: 'Dead letters' }).click();
  const letter = page.locator('#letters tbody tr').first();
  await letter.waitFor();
  const cells = await letter.locator('td').allTextContents();
  t.is(cells[0], '<script>alert(2)</script>');
  t.is(cells[1], '<b>bold</b><img src=y onerror=alert(3)>');
  t.is(cells[2], '<i>X</i>');
  t.is(cells[7], body);
  await letter.getByRole('button', { name: 'View' }).click();
  await page.locator('#detail').waitFor();
  t.is(await page.locator('#detail-body').textContent(), body);
  t.regex((await page.locator('#detail-headers').textContent()) ?? '', /<b>bold<\/b><img src=y onerror=alert\(3\)>/);
  t.is(await page.locator('main img, dialog img, main b, main i, main script').count(), 0, 'no element was made from the data');
  await page.keyboard.press('Escape');
  t.deepEqual(dialogs, [], 'no alert() ran');
});

browserTest('with DASHBOARD_TOKEN, a request without it is refused and the page asks for it (never showing it)', async (t) => {
  const { queue, client, broker } = await fixableSetup(t);
  await enqueueFailing(client, queue, ['gamma']);
  await waitFor('a dead letter', async () => (await deadCount(broker, queue)) === 1);
  const token = `tok-${randomUUID()}`;
  const dashboard = await startTestDashboard(t, [queue], { token });

  t.is((await fetch(new URL('api/overview', dashboard.url))).status, 401);
  t.like(await (await fetch(new URL('api/session', dashboard.url))).json(), { tokenRequired: true, csrf: null, queues: [] });
  t.is((await fetch(new URL('api/overview', dashboard.url), { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status, 401);
  t.is((await fetch(new URL('api/overview', dashboard.url), { headers: { authorization: `Bearer ${token}` } })).status, 200);

  const { page } = await openPage(t, dashboard.url);
  const bodies: string[] = [];
  page.on('response', (response) => {
    response.text().then(
      (text) => bodies.push(text),
      () => {},
    );
  });
  await page.getByLabel('Dashboard token').waitFor();
  t.true(await page.locator('#app').isHidden());
  await page.getByLabel('Dashboard token').fill('not-the-token-at-all');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#login-error').filter({ hasText: 'wrong token' }).waitFor();
  await page.getByLabel('Dashboard token').fill(token);
  await page.keyboard.press('Enter');
  await page.locator('#queues tbody tr').filter({ hasText: queue }).waitFor();
  await page.locator('#queues tbody tr').filter({ hasText: queue }).getByRole('button', { name: 'Dead letters' }).click();
  await page.locator('#letters tbody tr').filter({ hasText: 'upstream refused gamma' }).waitFor();
  t.false((await page.content()).includes(token), 'the token is not in the page');
  t.false(
    bodies.some((text) => text.includes(token)),
    'no response carried the token',
  );
  const cookies = await page.context().cookies(dashboard.url);
  t.true(cookies.some((cookie) => cookie.name === 'jworker_dashboard' && cookie.httpOnly && cookie.sameSite === 'Strict'));
  t.false(cookies.some((cookie) => cookie.value.includes(token)));
});

browserTest('Cancel on the page cancels a running task of the chosen queue, and the log says so', async (t) => {
  const { queue, worker, client } = await startSample(t);
  const dashboard = await startTestDashboard(t, [queue]);
  const { page } = await openPage(t, dashboard.url);
  const ended = new Promise<string>((resolve) => worker.events.on('taskEnd', (record) => resolve(`${record.taskId} ${record.outcome}`)));
  await client.enqueue(queue, { action: 'sleep', ms: 60_000 }, { taskId: 'long-one' });
  await waitFor('the task to start', () => worker.inFlight === 1);
  await page.locator('#cancel-id').fill('long-one');
  await page.locator('#cancel-form button[type=submit]').click();
  await page.locator('#log li').filter({ hasText: 'Cancel sent for task long-one' }).waitFor();
  t.is(await ended, 'long-one cancelled');
});
