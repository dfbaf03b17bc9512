import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import bunyan from 'bunyan';
import { TaskClient } from '../../client/task-client.js';
import { errorMessage } from '../../errors/message.js';
import type { CliSettings } from '../broker.js';
import { Access, isLoopback } from './access.js';
import { act, cancel, deadLetter, deadPage, enqueue, overview, refresh } from './api.js';
import { BrokerLink } from './broker-link.js';
import { DeadQueues } from './dead-queue.js';
import { HttpError, readJson, SECURITY_HEADERS, sendJson, statusOf } from './http.js';
import type { RateSource } from './rates.js';

/** What `jworker dashboard` serves. */
export interface DashboardOptions {
  readonly settings: CliSettings;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly queues: readonly string[];
  readonly retryDelays: (queue: string) => readonly number[];
  /** DASHBOARD_TOKEN: required on any host that is not a loopback address. */
  readonly token: string | undefined;
  readonly rates: RateSource | undefined;
  readonly maxLetters: number;
  readonly autoSnapshot: number;
  /** Turns any text sent to the page into text without secrets (the CLI's redaction). */
  readonly redact: (text: string) => string;
}

/** A running dashboard. */
export interface Dashboard {
  readonly url: string;
  readonly port: number;
  /** Stops the server and closes the broker connections. Idempotent. */
  close(): Promise<void>;
}

/** The page's files: plain HTML, CSS and a script module, shipped in the package's `dashboard/` folder. */
const ASSETS: Readonly<Record<string, { file: string; type: string }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/dashboard.js': { file: 'dashboard.js', type: 'text/javascript; charset=utf-8' },
  '/dashboard.css': { file: 'dashboard.css', type: 'text/css; charset=utf-8' },
};

/** The `dashboard/` folder of this package, from src/cli/dashboard/ (tests) or from dist/ (the published build). */
export function assetDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 5; up++, dir = dirname(dir)) {
    const candidate = join(dir, 'dashboard');
    if (existsSync(join(candidate, 'index.html')) && existsSync(join(dir, 'package.json'))) return candidate;
  }
  throw new Error('the dashboard page is missing from this installation of jworker-runtime (expected its dashboard/ folder)');
}

/**
 * Starts the dashboard: the page and its JSON API on node:http. Refuses a non-loopback host without a token.
 * @throws Error naming the problem when the host needs a token or the port is taken.
 */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  if (!isLoopback(options.host) && options.token === undefined) {
    throw new HttpError(400, `--host ${options.host} is reachable from other machines: set DASHBOARD_TOKEN to serve there`);
  }
  const dir = assetDir();
  const files = new Map(Object.entries(ASSETS).map(([path, { file, type }]) => [path, { body: readFileSync(join(dir, file)), type }]));
  const access = new Access(options.token);
  const link = new BrokerLink(options.settings);
  const dead = new DeadQueues(link, options.maxLetters);
  let client: TaskClient | undefined;
  const ctx = {
    queues: options.queues,
    retryDelays: options.retryDelays,
    link,
    dead,
    rates: options.rates,
    autoSnapshot: options.autoSnapshot,
    client: () =>
      (client ??= new TaskClient({
        url: options.settings.amqpUrl,
        ...(options.settings.tls ? { tls: options.settings.tls } : {}),
        logger: bunyan.createLogger({ name: 'jworker-dashboard', level: 'fatal' }),
      })),
  };

  const routes: Record<string, (request: IncomingMessage, url: URL) => Promise<unknown> | unknown> = {
    'GET /api/overview': () => overview(ctx),
    'GET /api/dead': (_request, url) => deadPage(ctx, url.searchParams),
    'GET /api/dead/letter': (_request, url) => deadLetter(ctx, url.searchParams),
    'POST /api/dead/refresh': async (request) => refresh(ctx, await readJson(request)),
    'POST /api/dead/replay': async (request) => act(ctx, await readJson(request), 'replay'),
    'POST /api/dead/purge': async (request) => act(ctx, await readJson(request), 'purge'),
    'POST /api/enqueue': async (request) => enqueue(ctx, await readJson(request)),
    'POST /api/cancel': async (request) => cancel(ctx, await readJson(request)),
  };

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://dashboard.invalid');
    access.checkRequest(request);
    const asset = files.get(url.pathname);
    if (asset && (request.method === 'GET' || request.method === 'HEAD')) {
      response.writeHead(200, { ...SECURITY_HEADERS, 'content-type': asset.type, 'content-length': asset.body.length });
      response.end(request.method === 'HEAD' ? undefined : asset.body);
      return;
    }
    if (url.pathname === '/api/session' && request.method === 'GET') {
      const { body, cookie } = access.session(request);
      // Queue names only to a signed-in page.
      const queues = body.csrf ? options.queues : [];
      sendJson(response, 200, { ...body, queues }, options.redact, cookie ? { 'set-cookie': cookie } : {});
      return;
    }
    if (url.pathname === '/api/login' && request.method === 'POST') {
      const { body, cookie } = access.login((await readJson(request)).token);
      sendJson(response, 200, { ...body, queues: options.queues }, options.redact, { 'set-cookie': cookie });
      return;
    }
    if (url.pathname === '/api/logout' && request.method === 'POST') {
      access.caller(request);
      sendJson(response, 200, { signedOut: true }, options.redact, { 'set-cookie': access.logout(request) });
      return;
    }
    const route = routes[`${request.method} ${url.pathname}`];
    if (!route) {
      const known = Object.keys(routes).some((key) => key.endsWith(` ${url.pathname}`)) || files.has(url.pathname);
      throw new HttpError(known ? 405 : 404, known ? `${request.method} is not allowed here` : 'not found');
    }
    access.caller(request);
    sendJson(response, 200, await route(request, url), options.redact);
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      const status = statusOf(error);
      const message = status === 500 ? `unexpected error: ${errorMessage(error)}` : errorMessage(error);
      if (response.headersSent) response.destroy();
      else sendJson(response, status, { error: message }, options.redact);
    });
  });
  server.requestTimeout = 120_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${port}/`,
    port,
    close: () =>
      (closing ??= (async () => {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await client?.close();
        await link.close();
      })()),
  };
}
