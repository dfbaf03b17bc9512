import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const SERVER = fileURLToPath(new URL('./registry-server.mjs', import.meta.url));
/** The packages this repository publishes: held by the private registry alone, never looked up upstream. */
export const OWN_PACKAGES = ['jworker-runtime', 'generator-jworker'] as const;
/**
 * Where the registry keeps what it fetched upstream, between runs and shared by concurrent ones (Verdaccio writes a
 * file to a temporary name, then renames it). Fetching every manifest upstream made the first installs take minutes;
 * the packages published in a run are kept in that run's own folder.
 */
export const PROXY_CACHE = join(tmpdir(), 'jworker-registry-proxy-cache');

/** A private npm registry (Verdaccio) on 127.0.0.1 that proxies every other package to `upstream`. */
export interface PrivateRegistry {
  /** `http://127.0.0.1:<port>/` */
  readonly url: string;
  /** An npm user config that publishes to this registry with a token of a user made for the test. */
  readonly publisherConfig: string;
  stop(): Promise<void>;
}

/** Starts Verdaccio with its configuration and the packages published to it under `dir`. */
export async function startRegistry(dir: string, upstream: string): Promise<PrivateRegistry> {
  mkdirSync(dir, { recursive: true });
  mkdirSync(PROXY_CACHE, { recursive: true });
  // Verdaccio joins a package's storage to the main one: a relative path reaches this run's folder.
  const own = { access: '$all', publish: '$authenticated', unpublish: '$authenticated', storage: relative(PROXY_CACHE, join(dir, 'own')) };
  const access = { access: '$all', publish: '$authenticated', unpublish: '$authenticated' };
  const config = {
    self_path: join(dir, 'config.yaml'),
    storage: PROXY_CACHE,
    auth: { htpasswd: { file: join(dir, 'htpasswd'), max_users: 10 } },
    // maxage: a manifest fetched upstream in the last day is served as it is.
    uplinks: { upstream: { url: upstream, timeout: '60s', max_fails: 5, maxage: '1d' } },
    packages: {
      ...Object.fromEntries(OWN_PACKAGES.map((name) => [name, own])),
      '@*/*': { ...access, proxy: 'upstream' },
      '**': { ...access, proxy: 'upstream' },
    },
    // npm audit is turned off in every command; nothing should reach the advisory service.
    middlewares: { audit: { enabled: false } },
    web: { enable: false },
    log: { type: 'stdout', format: 'json', level: 'error' },
    max_body_size: '100mb',
  };
  const configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  const child = spawn(process.execPath, [SERVER, configFile], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const port = await listeningPort(child);
  const url = `http://127.0.0.1:${port}/`;
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    });
  try {
    const token = await addUser(url, 'publisher');
    const publisherConfig = join(dir, 'publisher.npmrc');
    writeFileSync(publisherConfig, `registry=${url}\n${authKey(url)}=${token}\n`);
    return { url, publisherConfig, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The npmrc key of a registry's token: `//127.0.0.1:4873/:_authToken`. */
function authKey(url: string): string {
  return `${url.replace(/^https?:/, '')}:_authToken`;
}

/** Creates a user the way `npm adduser` does and returns its token. */
async function addUser(url: string, name: string): Promise<string> {
  const response = await fetch(new URL(`-/user/org.couchdb.user:${name}`, url), {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, password: `${name}-password`, email: `${name}@example.com` }),
  });
  const body = (await response.json()) as { token?: string };
  if (!response.ok || !body.token)
    throw new Error(`the registry refused to create user ${name}: ${response.status} ${JSON.stringify(body)}`);
  return body.token;
}

/** Resolves with the port once the server says it is listening; rejects if it exits first or takes over 30 s. */
function listeningPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => finish(new Error(`the registry did not start within 30 s:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const port = /^listening (\d+)$/m.exec(output)?.[1];
      if (port) finish(undefined, Number(port));
    };
    const onExit = (code: number | null) => finish(new Error(`the registry exited (${code}) before listening:\n${output}`));
    const finish = (error?: Error, port?: number) => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(port as number);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.on('exit', onExit);
  });
}
