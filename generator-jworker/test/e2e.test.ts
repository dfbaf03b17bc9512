import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { TaskClient } from 'jworker-runtime';
import { composeReferences, dockerCopySources, GENERATOR, PACKAGE_DIR, type Repo, repo } from './helpers.js';

// End to end, serially: the real yo binary runs the built generator; the generated repo is installed from the npm
// registry (and a packed jworker-runtime), type-checked, linted, tested, built, and run against the real RabbitMQ.

const ROOT = join(PACKAGE_DIR, '..');
const RUNTIME_DIR = join(ROOT, 'jworker-runtime');
const YO = join(ROOT, 'node_modules', '.bin', 'yo');
const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
/** yo run as root switches to an unprivileged user (root-check): what it writes to must be open to that user. */
const OPEN = 0o777;
/** A persistent npm cache for the npm install yo runs (as yo's user), so that only the first run downloads. */
const NPM_CACHE = join(tmpdir(), 'jworker-generator-e2e-yo-npm-cache');

const work = mkdtempSync(join(tmpdir(), 'jworker-generator-e2e-'));
const home = join(work, 'home');
let tarball = '';

function openDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, OPEN);
}

const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
  const inherited: NodeJS.ProcessEnv = { ...process.env };
  // The generated repo's npm scripts must not inherit this workspace's npm settings, nor the worker a queue or port.
  // (npm test -w generator-jworker sets npm_config_workspace*, which would turn npm install there into a workspace install.)
  for (const key of Object.keys(inherited)) if (key.startsWith('npm_')) delete inherited[key];
  for (const key of ['METRICS_PORT', 'WORKER_QUEUE', 'INIT_CWD']) delete inherited[key];
  return {
    ...inherited,
    HOME: home,
    NO_UPDATE_NOTIFIER: '1',
    npm_config_update_notifier: 'false',
    GIT_AUTHOR_NAME: 'jworker e2e',
    GIT_AUTHOR_EMAIL: 'e2e@example.com',
    GIT_COMMITTER_NAME: 'jworker e2e',
    GIT_COMMITTER_EMAIL: 'e2e@example.com',
    // Files written by yo's unprivileged user are read by git as another user in these tests.
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'safe.directory',
    GIT_CONFIG_VALUE_0: '*',
    ...extra,
  };
};

/** Runs a command to completion; a failure carries the end of its output. */
function run(
  command: string,
  args: readonly string[],
  cwd: string,
  timeoutMs = 240_000,
  extraEnv?: Record<string, string>,
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, env: env(extraEnv), timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        const output = `${stdout}\n${stderr}`.slice(-4000);
        reject(new Error(`${command} ${args.join(' ')} failed in ${cwd}: ${error.message.split('\n')[0]}\n${output}`));
      } else resolve(`${stdout}${stderr}`);
    });
  });
}

// --local-only: yo looks for installed generators only near cwd; the generator is given by path anyway.
const yo = (cwd: string, args: readonly string[]) =>
  run(YO, [GENERATOR, ...args, '--local-only'], cwd, 240_000, { npm_config_cache: NPM_CACHE });
const git = (cwd: string, args: readonly string[]) => run('git', args, cwd);

test.before(async () => {
  openDir(work);
  openDir(home);
  openDir(NPM_CACHE);
  if (!existsSync(join(RUNTIME_DIR, 'dist', 'index.js'))) await run('npm', ['run', 'build', '-w', 'jworker-runtime'], ROOT);
  const packed = JSON.parse(await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], RUNTIME_DIR)) as Array<{
    filename: string;
  }>;
  tarball = join(work, packed[0]?.filename ?? 'missing.tgz');
  if (!existsSync(tarball)) throw new Error(`npm pack made no tarball at ${tarball}`);
});

test.after.always(() => rmSync(work, { recursive: true, force: true }));

let orders: Repo | undefined;

test.serial('yo jworker --deploy compose,k8s creates a repo that installs, type-checks, lints, tests and builds', async (t) => {
  const cwd = join(work, 'plain');
  openDir(cwd);
  // No --skip-install: the generator runs npm install itself.
  // A description that would break a doc comment and the README if embedded raw: typecheck and lint see the result.
  const description = 'Sends */ orders\n# to `billing` <now>';
  const output = await yo(cwd, [
    'orders',
    '--project',
    'acme',
    '--description',
    description,
    '--deploy',
    'compose,k8s',
    '--runtime-version',
    `file:${tarball}`,
    '--yes',
    '--skip-git',
  ]);
  t.regex(output, /Created @acme\/orders/);
  orders = repo(join(cwd, 'orders'));
  t.true(orders.exists('node_modules/jworker-runtime/package.json'), 'npm install ran in ./orders');
  t.true(orders.exists('package-lock.json'));
  t.false(orders.exists('.git'), '--skip-git');
  t.is(orders.json<{ dependencies: Record<string, string> }>('package.json').dependencies['jworker-runtime'], `file:${tarball}`);

  await run('npm', ['run', 'typecheck'], orders.dir);
  await run('npm', ['run', 'lint'], orders.dir);
  const tests = await run('npm', ['test'], orders.dir);
  t.regex(tests, /\d+ tests passed/);
  // Its own checks of what it deploys: the manifests against the Kubernetes and KEDA schemas, the CI workflow.
  t.regex(tests, /✔ deploy › every manifest in deploy\/k8s passes the Kubernetes or KEDA schema/);
  t.regex(tests, /✔ deploy › KEDA measures the queue the worker consumes/);
  t.regex(tests, /✔ workflows › every workflow in \.github\/workflows is one GitHub Actions accepts/);
  await run('npm', ['run', 'build'], orders.dir);
  t.true(orders.exists('dist/main.js'));
});

/** Resolves with the process's stdout so far once `pattern` appears; rejects on exit or after `timeoutMs`. */
function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => finish(new Error(`no ${pattern} within ${timeoutMs} ms; output:\n${output.slice(-3000)}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (pattern.test(output)) finish();
    };
    const onExit = (code: number | null) =>
      finish(new Error(`the worker exited (${code}) before ${pattern}; output:\n${output.slice(-3000)}`));
    const finish = (error?: Error) => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(output);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', onExit);
  });
}

function exitCode(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the worker did not exit within ${timeoutMs} ms of SIGTERM`)), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

async function deleteQueues(dir: string, queue: string): Promise<void> {
  // amqplib as the generated worker installed it (a dependency of jworker-runtime).
  const amqp = createRequire(join(dir, 'package.json'))('amqplib') as typeof import('amqplib');
  const connection = await amqp.connect(AMQP_URL);
  try {
    for (const name of [queue, `${queue}.dead`, `${queue}.retry.1000`]) {
      const channel = await connection.createChannel();
      channel.on('error', () => {});
      await channel.deleteQueue(name).catch(() => {});
      await channel.close().catch(() => {});
    }
  } finally {
    await connection.close();
  }
}

/** Runs `dist/main.js` in `dir` against RabbitMQ: it must answer a task, fail a bad one for good, and exit 0 on SIGTERM. */
async function servesTasksAndStops(t: ExecutionContext, dir: string): Promise<void> {
  const queue = `jworker-gen-e2e-${process.pid}-${Date.now()}`;
  const worker = spawn(process.execPath, ['dist/main.js'], {
    cwd: dir,
    env: env({ AMQP_URL, WORKER_QUEUE: queue, RETRY_MAX_ATTEMPTS: '2', RETRY_INITIAL_DELAY_MS: '1000', LOG_LEVEL: 'info' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const client = new TaskClient({ url: AMQP_URL, callTimeoutMs: 20_000 });
  t.teardown(async () => {
    if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
    await client.close();
    await deleteQueues(dir, queue);
  });

  await waitForOutput(worker, new RegExp(`consuming from ${queue}`), 30_000);
  const result = await client.call(queue, { id: 'e2e-1', items: ['alpha', 'beta'] });
  t.like(result, { id: 'e2e-1', processed: 2, results: ['ALPHA', 'BETA'] });
  const failure = await t.throwsAsync(client.call(queue, { id: 'e2e-2', items: ['alpha', ' '] }));
  t.like(failure, { name: 'TaskFailedError', code: 'BLANK_ITEM', permanent: true });

  worker.kill('SIGTERM');
  t.is(await exitCode(worker, 20_000), 0);
}

test.serial('the built worker serves tasks from RabbitMQ and exits 0 on SIGTERM', async (t) => {
  if (!orders) return t.fail('the previous test did not generate the repo');
  await servesTasksAndStops(t, orders.dir);
});

test.serial("the Dockerfile's production install has no dev or optional dependencies, and the worker runs on it", async (t) => {
  if (!orders) return t.fail('the first test did not generate the repo');
  // The runtime stage's install, as the Dockerfile writes it, into a folder holding what that stage copies.
  const runtimeStage = orders.read('Dockerfile').split(/^FROM /m)[2] ?? '';
  const install = /^RUN (npm ci [^&\n]*)/m.exec(runtimeStage)?.[1]?.trim().split(/\s+/);
  if (!install) return t.fail(`no RUN npm ci in the Dockerfile's runtime stage:\n${runtimeStage}`);
  const production = join(work, 'production');
  mkdirSync(production);
  for (const file of ['package.json', 'package-lock.json']) cpSync(orders.path(file), join(production, file));
  cpSync(orders.path('dist'), join(production, 'dist'), { recursive: true });
  await run(install[0] ?? 'npm', install.slice(1), production, 240_000, { npm_config_cache: NPM_CACHE });

  const installed = (name: string) => existsSync(join(production, 'node_modules', name, 'package.json'));
  t.true(installed('jworker-runtime') && installed('bunyan') && installed('zod'), 'the production dependencies are installed');
  t.false(installed('typescript'), 'no dev dependency');
  // bunyan's optional dependencies: a native build (dtrace-provider) and a deprecated rimraf/glob chain (mv).
  for (const optional of ['dtrace-provider', 'mv', 'rimraf']) t.false(installed(optional), `${optional} is not installed`);
  await servesTasksAndStops(t, production);
});

test.serial('the Dockerfile and the compose and CI files are valid and name only files that exist', async (t) => {
  if (!orders) return t.fail('the first test did not generate the repo');
  const dockerfile = orders.read('Dockerfile');
  t.regex(dockerfile, /^USER node$/m);
  t.regex(dockerfile, /^HEALTHCHECK /m);
  const sources = dockerCopySources(dockerfile);
  t.true(sources.includes('package-lock.json'), 'npm ci needs the lock file');
  for (const source of sources) t.true(orders.exists(source), `${source}, copied by the Dockerfile, exists`);
  for (const file of ['docker-compose.yml', 'docker-compose.prod.yml']) {
    const compose = orders.yaml<{ services: Record<string, never> }>(file);
    for (const ref of composeReferences(compose)) t.true(orders.exists(ref), `${ref}, named by ${file}, exists`);
  }
  const ci = orders.yaml<{ jobs: Record<string, { steps: Array<{ run?: string }> }> }>('.github/workflows/ci.yml');
  const scripts = orders.json<{ scripts: Record<string, string> }>('package.json').scripts;
  for (const step of Object.values(ci.jobs).flatMap((job) => job.steps)) {
    const script = /^npm run (\S+)$/.exec(step.run ?? '')?.[1];
    if (script) t.truthy(scripts[script], `npm run ${script}, run by CI, is a script`);
  }
  t.is(orders.read('.env.example').includes('METRICS_PORT=9464'), true);
});

test.serial('with git: one commit on main, a clean tree, secrets and installs ignored; yo jworker inside updates it', async (t) => {
  const cwd = join(work, 'git');
  openDir(cwd);
  await yo(cwd, ['billing', '--project', 'acme', '--runtime-version', `file:${tarball}`, '--yes', '--skip-install']);
  const billing = repo(join(cwd, 'billing'));
  t.is((await git(billing.dir, ['log', '--format=%s'])).trim(), 'Create the billing worker with generator-jworker 0.1.0');
  t.is((await git(billing.dir, ['rev-parse', '--abbrev-ref', 'HEAD'])).trim(), 'main');
  t.is(await git(billing.dir, ['status', '--porcelain']), '');
  const tracked = (await git(billing.dir, ['ls-files'])).split('\n');
  for (const file of ['.gitignore', '.env.example', '.yo-rc.json', 'Dockerfile', 'src/app/billing.worker.ts'])
    t.true(tracked.includes(file), file);
  writeFileSync(billing.path('.env'), 'GRAPHQL_TOKEN=secret\n');
  mkdirSync(billing.path('node_modules'), { recursive: true });
  writeFileSync(billing.path('node_modules/x.js'), '');
  t.is(await git(billing.dir, ['status', '--porcelain']), '', '.env and node_modules are ignored');

  // The upgrade path: yo jworker again inside the repo, answers from .yo-rc.json.
  const dockerfile = billing.read('Dockerfile');
  writeFileSync(billing.path('Dockerfile'), 'FROM scratch\n');
  writeFileSync(billing.path('src/app/billing.worker.ts'), `${billing.read('src/app/billing.worker.ts')}// my change\n`);
  const output = await yo(billing.dir, ['--runtime-version', `file:${tarball}`, '--force', '--skip-install']);
  t.regex(output, /Updated @acme\/billing/);
  t.is(billing.read('Dockerfile'), dockerfile, 'the managed Dockerfile is restored');
  t.is(await git(billing.dir, ['status', '--porcelain']), ' M src/app/billing.worker.ts\n', 'only the worker code differs');
  t.like(JSON.parse(readFileSync(billing.path('.yo-rc.json'), 'utf8')), { 'generator-jworker': { name: 'billing', project: 'acme' } });
});
