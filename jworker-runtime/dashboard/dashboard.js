// The jworker dashboard page: plain JavaScript, no build step. Every value from the broker is set as text
// (textContent, attributes set one by one), never parsed as markup: a dead letter's body or header is data.

const PAGE_SIZE = 50;
const POLL_MS = 3000;
const HISTORY_POINTS = 120;
/** The page walks a dead queue by itself at most this often. */
const AUTO_SNAPSHOT_EVERY_MS = 10_000;

const $ = (id) => document.getElementById(id);

const state = {
  csrf: null,
  queues: [],
  rows: new Map(),
  history: new Map(),
  autoSnapshot: 0,
  selected: null,
  search: '',
  offset: 0,
  page: null,
  walking: false,
  lastWalk: 0,
};

/** Creates an element; strings among the children become text nodes. */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'onclick') node.addEventListener('click', value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) node.append(child instanceof Node ? child : String(child ?? ''));
  return node;
}

async function api(path, body) {
  const init = { credentials: 'same-origin', headers: {} };
  if (body !== undefined) {
    init.method = 'POST';
    init.headers['content-type'] = 'application/json';
    if (state.csrf) init.headers['x-csrf-token'] = state.csrf;
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const answer = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
  if (response.status === 401 && path !== '/api/login') showLogin();
  if (!response.ok) throw new Error(answer.error ?? `HTTP ${response.status}`);
  return answer;
}

function log(text, kind = 'info') {
  const item = el('li', { class: kind }, el('time', {}, new Date().toLocaleTimeString()), ' ', text);
  $('log').prepend(item);
  while ($('log').children.length > 20) $('log').lastElementChild.remove();
}

const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
const show = (value) => (value === null || value === undefined ? '–' : String(value));

// ---- Signing in ----------------------------------------------------------------------------------------------------

function showLogin() {
  state.csrf = null;
  $('app').hidden = true;
  $('sign-out').hidden = true;
  $('login').hidden = false;
  $('status').textContent = 'Sign in to continue';
  $('token').focus();
}

function start(session) {
  state.csrf = session.csrf;
  state.queues = session.queues;
  $('login').hidden = true;
  $('app').hidden = false;
  $('sign-out').hidden = !session.tokenRequired;
  const select = $('enqueue-queue');
  select.replaceChildren(...state.queues.map((queue) => el('option', { value: queue }, queue)));
  poll();
}

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('login-error').textContent = '';
  try {
    const session = await api('/api/login', { token: $('token').value });
    $('token').value = '';
    start(session);
  } catch (error) {
    $('login-error').textContent = error.message;
  }
});

$('sign-out').addEventListener('click', async () => {
  await api('/api/logout', {}).catch(() => {});
  showLogin();
});

// ---- Queues ----------------------------------------------------------------------------------------------------------

let pollTimer;
async function poll() {
  clearTimeout(pollTimer);
  if (!state.csrf) return;
  try {
    const overview = await api('/api/overview');
    state.autoSnapshot = overview.autoSnapshot;
    for (const row of overview.queues) {
      state.rows.set(row.queue, row);
      const points = state.history.get(row.queue) ?? [];
      points.push({ ready: row.ready ?? 0, retry: row.retry ?? 0, dead: row.dead ?? 0 });
      state.history.set(row.queue, points.slice(-HISTORY_POINTS));
    }
    renderQueues(overview);
    enableCancel(overview.capabilities.cancel);
    $('status').textContent = `Updated ${new Date(overview.at).toLocaleTimeString()}`;
    maybeWalk();
  } catch (error) {
    $('status').textContent = `Cannot update: ${error.message}`;
  }
  pollTimer = setTimeout(poll, POLL_MS);
}

function renderQueues(overview) {
  const rates = overview.rates;
  const body = $('queues').tBodies[0];
  body.replaceChildren(
    ...overview.queues.map((row) => {
      const rate = rates?.queues[row.queue];
      const fixed = (value) => (rate ? value.toFixed(2) : '–');
      const button = el(
        'button',
        { type: 'button', onclick: () => select(row.queue), 'aria-pressed': String(state.selected === row.queue) },
        'Dead letters',
      );
      return el(
        'tr',
        { class: state.selected === row.queue ? 'selected' : undefined },
        el('th', { scope: 'row' }, row.queue, row.problem ? el('span', { class: 'problem' }, ` (${row.problem})`) : ''),
        el('td', { class: 'num' }, show(row.ready)),
        el('td', { class: 'num' }, show(row.retry)),
        el('td', { class: 'num' }, show(row.delayed)),
        el('td', { class: row.dead ? 'num alert' : 'num' }, show(row.dead)),
        el('td', { class: row.consumers === 0 ? 'num alert' : 'num' }, show(row.consumers)),
        el('td', { class: 'num' }, fixed(rate?.completed ?? 0)),
        el('td', { class: 'num' }, fixed(rate?.failed ?? 0)),
        el('td', {}, sparkline(state.history.get(row.queue) ?? [])),
        el('td', {}, button),
      );
    }),
  );
  const note = !rates
    ? 'Rates: start the dashboard with --prometheus-url or --metrics-url to see completed and failed tasks per second.'
    : `Rates per second from ${rates.source === 'prometheus' ? 'Prometheus' : 'the workers’ metrics endpoints'}.${rates.errors.length ? ` Not read: ${rates.errors.join('; ')}` : ''}`;
  $('rates-note').textContent = note;
}

/** Ready (blue), in retry (amber) and dead (red) since the page opened, as an SVG drawn with DOM calls. */
function sparkline(points) {
  const ns = 'http://www.w3.org/2000/svg';
  const width = 160;
  const height = 28;
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(height));
  svg.setAttribute('role', 'img');
  const last = points.at(-1) ?? { ready: 0, retry: 0, dead: 0 };
  const title = document.createElementNS(ns, 'title');
  title.textContent = `${points.length} readings; now ready ${last.ready}, in retry ${last.retry}, dead ${last.dead}`;
  svg.append(title);
  const max = Math.max(1, ...points.flatMap((p) => [p.ready, p.retry, p.dead]));
  for (const [kind, className] of [
    ['ready', 'line-ready'],
    ['retry', 'line-retry'],
    ['dead', 'line-dead'],
  ]) {
    const line = document.createElementNS(ns, 'polyline');
    const step = width / Math.max(1, HISTORY_POINTS - 1);
    const offset = width - step * (points.length - 1);
    line.setAttribute(
      'points',
      points.map((p, i) => `${(offset + i * step).toFixed(1)},${(height - 2 - (p[kind] / max) * (height - 4)).toFixed(1)}`).join(' '),
    );
    line.setAttribute('class', className);
    svg.append(line);
  }
  return svg;
}

// ---- Dead letters ------------------------------------------------------------------------------------------------------

async function select(queue) {
  state.selected = queue;
  state.offset = 0;
  state.search = '';
  $('search').value = '';
  $('dead').hidden = false;
  $('dead-title').textContent = `Dead letters of ${queue}`;
  poll();
  await loadPage();
  if (!state.page?.snapshot) await walk();
}

async function loadPage() {
  if (!state.selected) return;
  const params = new URLSearchParams({
    queue: state.selected,
    offset: String(state.offset),
    limit: String(PAGE_SIZE),
    search: state.search,
  });
  try {
    state.page = await api(`/api/dead?${params}`);
    renderLetters();
  } catch (error) {
    log(error.message, 'error');
  }
}

async function walk() {
  if (state.walking || !state.selected) return;
  state.walking = true;
  state.lastWalk = Date.now();
  $('snapshot-info').textContent = 'Reading the dead queue…';
  try {
    await api('/api/dead/refresh', { queue: state.selected });
    await loadPage();
  } catch (error) {
    log(error.message, 'error');
    renderLetters();
  } finally {
    state.walking = false;
    state.lastWalk = Date.now();
  }
}

/** Walks a small dead queue again by itself when its count changed since the snapshot. */
function maybeWalk() {
  const row = state.selected ? state.rows.get(state.selected) : undefined;
  const snapshot = state.page?.snapshot;
  if (!row || row.dead === null || !snapshot || state.walking) return;
  if (row.dead === snapshot.total || row.dead > state.autoSnapshot) return;
  if (Date.now() - state.lastWalk < AUTO_SNAPSHOT_EVERY_MS) return;
  walk();
}

function renderLetters() {
  const page = state.page;
  const body = $('letters').tBodies[0];
  if (!page?.snapshot) {
    body.replaceChildren();
    $('snapshot-info').textContent = state.walking ? 'Reading the dead queue…' : 'No snapshot yet: Refresh reads the dead queue.';
    updateButtons(0);
    return;
  }
  const { snapshot } = page;
  const taken = new Date(snapshot.takenAt).toLocaleTimeString();
  const kept = snapshot.kept < snapshot.total ? ` (the newest ${snapshot.kept} are kept in the snapshot)` : '';
  const searched = state.search ? `, ${plural(page.matches, 'match')} for “${state.search}”` : '';
  $('snapshot-info').textContent =
    `${plural(snapshot.total, 'dead letter')} in ${page.deadQueue} at ${taken}${kept}${searched}. Newest first.`;
  body.replaceChildren(
    ...page.letters.map((letter) =>
      el(
        'tr',
        {},
        el('td', { class: 'mono' }, show(letter.taskId)),
        el('td', { class: 'error-text', title: letter.error ?? '' }, show(letter.error)),
        el('td', {}, show(letter.code)),
        el('td', {}, show(letter.reason)),
        el('td', { class: 'num' }, show(letter.attempts)),
        el('td', {}, show(letter.workerType)),
        el('td', { class: 'mono' }, show(letter.failedAt)),
        el('td', {}, el('code', { class: 'preview' }, letter.preview)),
        el(
          'td',
          { class: 'actions' },
          el('button', { type: 'button', onclick: () => replayOne(letter) }, 'Replay'),
          el('button', { type: 'button', onclick: () => showDetail(letter) }, 'View'),
        ),
      ),
    ),
  );
  const pages = Math.max(1, Math.ceil(page.matches / PAGE_SIZE));
  $('page-info').textContent = `Page ${Math.floor(state.offset / PAGE_SIZE) + 1} of ${pages}`;
  $('prev').disabled = state.offset === 0;
  $('next').disabled = state.offset + PAGE_SIZE >= page.matches;
  updateButtons(page.matches);
}

function updateButtons(count) {
  const of = state.search ? ` ${count} matching` : ` (${count})`;
  $('replay-all').textContent = `Replay all${of}`;
  $('purge').textContent = `Purge${of}`;
  $('replay-all').disabled = count === 0;
  $('purge').disabled = count === 0;
}

function report(result) {
  const verb = result.action === 'replay' ? 'Replayed' : 'Purged';
  const where = result.action === 'replay' ? ` from ${result.deadQueue} to ${result.queue}` : ` from ${result.deadQueue}`;
  const gone = result.gone > 0 ? `; ${result.gone} of the ${result.requested} confirmed were no longer there` : '';
  log(`${verb} ${plural(result.done, 'dead letter')}${where}${gone}. ${plural(result.snapshot.total, 'dead letter')} left.`);
}

async function replayOne(letter) {
  try {
    report(await api('/api/dead/replay', { queue: state.selected, ids: [letter.id] }));
  } catch (error) {
    log(error.message, 'error');
  }
  await loadPage();
}

async function bulk(action) {
  const count = state.page?.matches ?? 0;
  const { deadQueue, snapshot } = state.page ?? {};
  const which = state.search ? `${plural(count, 'dead letter')} matching “${state.search}”` : `all ${plural(count, 'dead letter')}`;
  const taken = snapshot ? new Date(snapshot.takenAt).toLocaleTimeString() : '';
  const text =
    action === 'replay'
      ? `Replay ${which} from ${deadQueue} to ${state.selected}? Their attempts start again. Dead letters that arrived after ${taken} are not touched.`
      : `Purge ${which} from ${deadQueue}? They are deleted for good. Dead letters that arrived after ${taken} are kept.`;
  const label = `${action === 'replay' ? 'Replay' : 'Purge'} ${count}`;
  if (!(await confirmAction(text, label))) return;
  try {
    report(await api(`/api/dead/${action}`, { queue: state.selected, all: true, search: state.search, expected: count }));
  } catch (error) {
    log(error.message, 'error');
  }
  state.offset = 0;
  await loadPage();
}

function confirmAction(text, label) {
  const dialog = $('confirm');
  $('confirm-text').textContent = text;
  $('confirm-ok').textContent = label;
  return new Promise((resolve) => {
    const done = (answer) => {
      $('confirm-ok').onclick = null;
      $('confirm-cancel').onclick = null;
      dialog.onclose = null;
      if (dialog.open) dialog.close();
      resolve(answer);
    };
    $('confirm-ok').onclick = () => done(true);
    $('confirm-cancel').onclick = () => done(false);
    dialog.onclose = () => done(false);
    dialog.showModal();
    $('confirm-cancel').focus();
  });
}

async function showDetail(letter) {
  try {
    const detail = await api(`/api/dead/letter?${new URLSearchParams({ queue: state.selected, id: letter.id })}`);
    $('detail-title').textContent = `Dead letter ${letter.taskId ?? ''}`;
    $('detail-headers').textContent = JSON.stringify({ properties: detail.properties, headers: detail.headers }, null, 2);
    $('detail-body').textContent = detail.body;
    $('detail-truncated').textContent = detail.bodyTruncated ? '(the first 256 KiB)' : '';
    $('detail').showModal();
    $('detail-close').focus();
  } catch (error) {
    log(error.message, 'error');
  }
}

$('detail-close').addEventListener('click', () => $('detail').close());
$('refresh').addEventListener('click', () => walk());
$('replay-all').addEventListener('click', () => bulk('replay'));
$('purge').addEventListener('click', () => bulk('purge'));
$('prev').addEventListener('click', () => {
  state.offset = Math.max(0, state.offset - PAGE_SIZE);
  loadPage();
});
$('next').addEventListener('click', () => {
  state.offset += PAGE_SIZE;
  loadPage();
});
$('search-form').addEventListener('submit', (event) => {
  event.preventDefault();
  state.search = $('search').value.trim();
  state.offset = 0;
  loadPage();
});
document.addEventListener('keydown', (event) => {
  const typing = event.target instanceof HTMLInputElement || event.target instanceof HTMLTextAreaElement;
  if (event.key === '/' && !typing && !$('dead').hidden) {
    event.preventDefault();
    $('search').focus();
  }
});

// ---- Enqueue -----------------------------------------------------------------------------------------------------------

$('enqueue-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  let task;
  try {
    task = JSON.parse($('enqueue-task').value);
  } catch (error) {
    log(`The task is not valid JSON: ${error.message}`, 'error');
    $('enqueue-task').focus();
    return;
  }
  const taskId = $('enqueue-id').value.trim() || undefined;
  try {
    const result = await api('/api/enqueue', { queue: $('enqueue-queue').value, task, taskId });
    log(`Enqueued ${plural(result.enqueued, 'task')} to ${result.queue}: task id ${result.taskId}.`);
    poll();
  } catch (error) {
    log(error.message, 'error');
  }
});

// ---- Cancel (enabled when the server can cancel: see CAPABILITIES in src/cli/dashboard/api.ts) ----------------------

function enableCancel(enabled) {
  for (const control of $('cancel-form').elements) control.disabled = !enabled;
  $('cancel-note').hidden = enabled;
}

$('cancel-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const taskId = $('cancel-id').value.trim();
  if (!taskId) return;
  try {
    const result = await api('/api/cancel', { queue: $('enqueue-queue').value, taskId });
    log(`Cancel sent for task ${result.taskId} on ${result.queue}: it will not start, and stops if it is running.`);
  } catch (error) {
    log(error.message, 'error');
  }
});

// ---- Start ---------------------------------------------------------------------------------------------------------------

api('/api/session')
  .then((session) => (session.csrf ? start(session) : showLogin()))
  .catch((error) => {
    $('status').textContent = `Cannot reach the dashboard: ${error.message}`;
  });
