import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import semver from 'semver';
import { emulateDockerBuild } from '../generator-jworker/test/docker-build.js';
import { deleteWorkerQueues } from '../generator-jworker/test/helpers.js';
import {
  exitCode,
  killGroup,
  prepareNpmCache,
  runAsUser,
  startAsUser,
  userDir,
  userEnv,
  waitForOutput,
} from '../generator-jworker/test/new-user.js';
import { copyCheckout, ROOT } from './helpers/checkout.js';
import { type PrivateRegistry, startRegistry } from './helpers/registry.js';

// The registry path, end to end and serially. Both packages are released to a private registry (Verdaccio on
// 127.0.0.1, every other package proxied to the registry npm is configured with) by exactly what the release
// workflow runs: `npm run version-packages` and scripts/release.mjs, in a copy of this checkout. Then a new user,
// with that registry only: installs yo and generator-jworker globally, generates a worker with the defaults, installs,
// tests and builds it, runs its Docker image (emulated) against RabbitMQ, takes a patch release of the runtime with
// npm update, and refreshes the generated files with a newer generator release.

const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const work = mkdtempSync(join(tmpdir(), 'jworker-registry-'));
const checkout = join(work, 'checkout');
const home = join(work, 'home');
const prefix = join(work, 'prefix');
let registry: PrivateRegistry | undefined;

/** The new user's environment: npm's registry is the private one (~/.npmrc), global installs go to `prefix`. */
const env = (extra: Record<string, string> = {}, globalPrefix = prefix) =>
  userEnv(home, { npm_config_prefix: globalPrefix, PATH: `${join(globalPrefix, 'bin')}:${process.env.PATH ?? ''}`, ...extra });
const asUser = (cwd: string, command: string, args: readonly string[], extra?: Record<string, string>) =>
  runAsUser(command, args, { cwd, env: env(extra) });

/** Runs a command in the release checkout, as the maintainer, publishing with the test user's token. */
function maintainer(command: string, args: readonly string[]): Promise<string> {
  if (!registry) throw new Error('the registry is not running');
  const environment = userEnv(work, { npm_config_userconfig: registry.publisherConfig, npm_config_cache: join(work, 'maintainer-cache') });
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd: checkout, env: environment, timeout: 300_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')} failed: ${error.message}\n${`${stdout}\n${stderr}`.slice(-4000)}`));
      else resolve(stdout);
    });
  });
}

/** Releases what changed, as the release workflow does once its "Version Packages" pull request is merged. */
async function release(): Promise<string[]> {
  const output = await maintainer('node', ['scripts/release.mjs', '--registry', registry?.url ?? '']);
  return [...output.matchAll(/^New tag: (\S+)$/gm)].map((match) => match[1] ?? '');
}

/** Adds a changeset and versions the packages, as the "Version Packages" pull request does. */
async function versionPackages(name: string, bumps: Record<string, 'patch' | 'minor'>): Promise<void> {
  const front = Object.entries(bumps).map(([pkg, bump]) => `'${pkg}': ${bump}`);
  writeFileSync(join(checkout, '.changeset', `${name}.md`), `---\n${front.join('\n')}\n---\n\n${name}, released by the registry test.\n`);
  await maintainer('npm', ['run', 'version-packages']);
}

/** Awaits a step and logs how long it took (the slow parts of this test are installs through the registry). */
async function timed<T>(t: ExecutionContext, label: string, step: Promise<T> | T): Promise<T> {
  const started = Date.now();
  const result = await step;
  t.log(`${label}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

const versionOf = (dir: string, pkg: string) =>
  (JSON.parse(readFileSync(join(dir, pkg, 'package.json'), 'utf8')) as { version: string }).version;

test.before(async () => {
  userDir(work);
  userDir(home);
  userDir(prefix);
  prepareNpmCache();
  const upstream = execFileSync('npm', ['config', 'get', 'registry'], { cwd: ROOT, encoding: 'utf8' }).trim();
  registry = await startRegistry(join(work, 'registry'), upstream);
  writeFileSync(join(home, '.npmrc'), `registry=${registry.url}\n`);
  userDir(home);
  copyCheckout(checkout);
  // The checkout's pending changesets (unreleased work, minor bumps) would join the test's own patch releases: the
  // test makes every release it checks, from none pending.
  const changesets = join(checkout, '.changeset');
  for (const file of readdirSync(changesets)) if (file.endsWith('.md') && file !== 'README.md') rmSync(join(changesets, file));
});

test.after.always(async () => {
  await registry?.stop();
  rmSync(work, { recursive: true, force: true });
});

let runtime = '';
let orders = '';

test.serial('released to a registry, yo and the generator install from it and generate a worker on the released runtime', async (t) => {
  runtime = versionOf(checkout, 'jworker-runtime');
  const generator = versionOf(checkout, 'generator-jworker');
  t.deepEqual(await timed(t, 'release', release()), [`jworker-runtime@${runtime}`, `generator-jworker@${generator}`]);

  await timed(t, 'npm install --global yo generator-jworker', asUser(home, 'npm', ['install', '--global', 'yo', 'generator-jworker']));
  const cwd = userDir(join(work, 'yo'));
  // Defaults: no --runtime-version. yo installs the dependencies and makes the first commit.
  const output = await timed(
    t,
    'yo jworker (npm install included)',
    asUser(cwd, 'yo', ['jworker', 'orders', '--project', 'acme', '--yes']),
  );
  t.regex(output, /Created @acme\/orders/);
  orders = join(cwd, 'orders');
  const pkg = JSON.parse(readFileSync(join(orders, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  t.is(pkg.dependencies['jworker-runtime'], `^${runtime}`, 'the range of the runtime released with this generator');
  const lock = readFileSync(join(orders, 'package-lock.json'), 'utf8');
  for (const file of [JSON.stringify(pkg), lock]) t.false(file.includes('file:'), 'no file: dependency anywhere');
  const locked = (JSON.parse(lock) as { packages: Record<string, { version: string; resolved: string }> }).packages;
  t.like(locked['node_modules/jworker-runtime'], {
    version: runtime,
    resolved: `${registry?.url}jworker-runtime/-/jworker-runtime-${runtime}.tgz`,
  });

  // npx, with no global install to fall back on: it fetches generator-jworker from the registry.
  const npxCwd = userDir(join(work, 'npx'));
  const empty = userDir(join(work, 'npx-prefix'));
  const npx = ['--yes', 'generator-jworker', 'billing', '--project', 'acme', '--skip-install', '--skip-git'];
  await timed(t, 'npx generator-jworker', runAsUser('npx', npx, { cwd: npxCwd, env: env({}, empty) }));
  const billing = JSON.parse(readFileSync(join(npxCwd, 'billing', 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  t.is(billing.dependencies['jworker-runtime'], `^${runtime}`);
});

test.serial('the generated repo installs with npm ci, tests and builds; context.logger is typed', async (t) => {
  if (!orders) return t.fail('the first test did not generate the worker');
  // If the runtime's types reached the worker without bunyan's, logger would be any and the expected error unused.
  const check = join(orders, 'test', 'logger-type-check.ts');
  writeFileSync(
    check,
    [
      "import type { TaskContext } from 'jworker-runtime';",
      'export function log(context: TaskContext): void {',
      "  context.logger.info({ taskId: context.taskId }, 'typed');",
      '  // @ts-expect-error a bunyan Logger has no such method',
      '  context.logger.notALoggerMethod();',
      '}',
      '',
    ].join('\n'),
  );
  userDir(orders);
  await timed(t, 'npm ci', asUser(orders, 'npm', ['ci']));
  await asUser(orders, 'npm', ['run', 'typecheck']);
  rmSync(check);
  t.regex(await asUser(orders, 'npm', ['test']), /\d+ tests passed/);
  await asUser(orders, 'npm', ['run', 'build']);
  t.true(existsSync(join(orders, 'dist', 'main.js')));
});

test.serial('the Docker image (emulated) runs as a plain user, logs and exposes its runtime version, and serves a task', async (t) => {
  if (!orders) return t.fail('the first test did not generate the worker');
  const imageRoot = userDir(join(work, 'image'));
  const image = await timed(
    t,
    'docker build (emulated)',
    emulateDockerBuild({
      dockerfile: readFileSync(join(orders, 'Dockerfile'), 'utf8'),
      context: orders,
      root: imageRoot,
      run: (command, cwd, stageEnv) => {
        userDir(imageRoot);
        return runAsUser('sh', ['-c', command], { cwd, env: env(stageEnv) });
      },
    }),
  );
  t.is(image.user, 'node');
  t.is(versionOf(join(image.workdir, 'node_modules'), 'jworker-runtime'), runtime);

  const queue = `jworker-registry-${process.pid}-${Date.now()}`;
  const [command = 'node', ...args] = image.cmd;
  const worker = startAsUser(command === 'node' ? process.execPath : command, args, {
    cwd: image.workdir,
    env: env({ ...image.env, AMQP_URL, WORKER_QUEUE: queue, METRICS_PORT: '0' }),
  });
  t.teardown(async () => {
    killGroup(worker);
    await deleteWorkerQueues(image.workdir, AMQP_URL, queue);
  });
  const started = await waitForOutput(worker, new RegExp(`consuming from ${queue}`), 30_000);
  t.regex(started, new RegExp(`starting orders worker on queue ${queue} \\(jworker-runtime ${runtime.replace(/\./g, '\\.')}\\)`));

  // What the generated README tells a new user to run.
  const cli = (cliArgs: string[]) => asUser(orders, 'npx', ['jworker', ...cliArgs], { AMQP_URL });
  t.is((await cli(['--version'])).trim(), runtime);
  const result = JSON.parse(await cli(['enqueue', queue, '{"id":"order-42","items":["alpha","beta"]}', '--wait'])) as unknown;
  t.like(result, { id: 'order-42', processed: 2, results: ['ALPHA', 'BETA'] });
  t.regex(await cli(['stats', queue]), new RegExp(`${queue}\\.dead`));
  t.is((await cli(['dead', 'list', queue])).trim(), `no dead letters in ${queue}.dead`);

  const port = Number(/"port":(\d+)/.exec(/^.*serving \/metrics.*$/m.exec(started)?.[0] ?? '')?.[1]);
  const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  t.regex(metrics, new RegExp(`^jworker_build_info\\{[^}]*version="${runtime.replace(/\./g, '\\.')}"[^}]*\\} 1$`, 'm'));
  if (image.healthcheck) {
    const [check = 'node', ...checkArgs] = image.healthcheck;
    await runAsUser(check === 'node' ? process.execPath : check, checkArgs, {
      cwd: image.workdir,
      env: env({ METRICS_PORT: String(port) }),
    });
  }
  worker.kill('SIGTERM');
  t.is(await exitCode(worker, 20_000), 0);
});

test.serial('a patch release of the runtime reaches the worker with npm update', async (t) => {
  if (!orders) return t.fail('the first test did not generate the worker');
  await timed(t, 'npm run version-packages', versionPackages('runtime-patch', { 'jworker-runtime': 'patch' }));
  const patched = semver.inc(runtime, 'patch') ?? '';
  t.deepEqual(
    await timed(t, 'release', release()),
    [`jworker-runtime@${patched}`],
    'generator-jworker did not change: the registry has it, it is skipped',
  );
  await timed(t, 'npm update', asUser(orders, 'npm', ['update']));
  t.is(versionOf(join(orders, 'node_modules'), 'jworker-runtime'), patched);
  t.is((await asUser(orders, 'npx', ['jworker', '--version'])).trim(), patched);
  t.regex(readFileSync(join(orders, 'package-lock.json'), 'utf8'), new RegExp(`jworker-runtime-${patched.replace(/\./g, '\\.')}\\.tgz`));
  runtime = patched;
});

test.serial("a newer generator release refreshes the managed files and leaves the worker's own code alone", async (t) => {
  if (!orders) return t.fail('the first test did not generate the worker');
  const git = (args: string[]) => asUser(orders, 'git', args);
  await git(['commit', '-qam', 'jworker-runtime patch']);
  const dockerfile = readFileSync(join(orders, 'Dockerfile'), 'utf8');
  const ownFiles = ['src/app/orders.worker.ts', 'src/main.ts', 'test/orders.worker.test.ts', 'README.md'];
  writeFileSync(join(orders, 'Dockerfile'), 'FROM scratch\n');
  for (const file of ownFiles) writeFileSync(join(orders, file), `${readFileSync(join(orders, file), 'utf8')}\n// mine\n`);
  userDir(orders);
  await git(['commit', '-qam', 'my changes']);

  await versionPackages('generator-patch', { 'generator-jworker': 'patch' });
  const generator = versionOf(checkout, 'generator-jworker');
  t.deepEqual(await release(), [`generator-jworker@${generator}`]);
  await timed(t, 'npm install --global generator-jworker@latest', asUser(home, 'npm', ['install', '--global', 'generator-jworker@latest']));
  // As a user updates: no options but --force (overwrite the managed files without asking); answers from .yo-rc.json.
  const output = await asUser(orders, 'yo', ['jworker', '--force', '--skip-install']);
  t.regex(output, new RegExp(`Updated @acme/orders from generator-jworker ${generator.replace(/\./g, '\\.')}`));

  t.is(readFileSync(join(orders, 'Dockerfile'), 'utf8'), dockerfile, 'the managed Dockerfile is restored');
  const changed = (await git(['diff', '--name-only'])).trim().split('\n');
  t.deepEqual(changed.sort(), ['.yo-rc.json', 'Dockerfile', 'package.json'], 'nothing else changed: not the worker code, tests or README');
  const stored = JSON.parse(readFileSync(join(orders, '.yo-rc.json'), 'utf8')) as Record<string, { generatorVersion: string }>;
  t.is(stored['generator-jworker']?.generatorVersion, generator);
  const pkg = JSON.parse(readFileSync(join(orders, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  t.is(pkg.dependencies['jworker-runtime'], `^${runtime}`, 'the range moves to the runtime the new generator was released with');
});
