import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { TaskClient } from 'jworker-runtime';
import { emulateDockerBuild } from './docker-build.js';
import {
  composeReferences,
  deleteWorkerQueues,
  dockerCopySources,
  GENERATOR,
  PACKAGE_DIR,
  type Repo,
  repo,
  runtimeVersion,
} from './helpers.js';
import { exitCode, killGroup, prepareNpmCache, runAsUser, startAsUser, userDir, userEnv, waitForOutput } from './new-user.js';

// The checkout path, end to end and serially: the real yo binary runs the built generator with a runtime tarball
// packed from this checkout (--runtime-version file:…), as a plain user. The tarball travels with the generated
// repo (vendor/), so a fresh clone passes every step of its CI, its Dockerfile builds (emulated: no Docker here) and
// the image serves tasks from the real RabbitMQ; npm run dev reads .env and prints readable logs.

const ROOT = join(PACKAGE_DIR, '..');
const RUNTIME_DIR = join(ROOT, 'jworker-runtime');
const YO = join(ROOT, 'node_modules', '.bin', 'yo');
const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

const work = mkdtempSync(join(tmpdir(), 'jworker-generator-e2e-'));
const home = join(work, 'home');
const env = (extra: Record<string, string> = {}) => userEnv(home, extra);
const inDir = (cwd: string) => ({ cwd, env: env() });
let tarball = '';

// --local-only: yo looks for installed generators only near cwd; the generator is given by path anyway.
const yo = (cwd: string, args: readonly string[]) => runAsUser(YO, [GENERATOR, ...args, '--local-only'], inDir(cwd));
const git = (cwd: string, args: readonly string[]) => runAsUser('git', args, inDir(cwd));

test.before(async () => {
  userDir(work);
  userDir(home);
  prepareNpmCache();
  if (!existsSync(join(RUNTIME_DIR, 'dist', 'index.js'))) execFileSync('npm', ['run', 'build', '-w', 'jworker-runtime'], { cwd: ROOT });
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: RUNTIME_DIR, encoding: 'utf8' }),
  ) as Array<{ filename: string }>;
  tarball = join(work, packed[0]?.filename ?? 'missing.tgz');
  if (!existsSync(tarball)) throw new Error(`npm pack made no tarball at ${tarball}`);
});

test.after.always(() => rmSync(work, { recursive: true, force: true }));

let orders: Repo | undefined;
let clone: Repo | undefined;

test.serial('yo jworker with a file: tarball vendors it; a fresh clone of the repo passes every step of its CI', async (t) => {
  const cwd = userDir(join(work, 'plain'));
  // No --skip-install: the generator runs npm install itself. No --skip-git: the repo is committed, to be cloned.
  // A description that would break a doc comment and the README if embedded raw: typecheck and lint see the result.
  const description = 'Sends */ orders\n# to `billing` <now>';
  const options = ['--description', description, '--deploy', 'compose,k8s', '--runtime-version', `file:${tarball}`, '--yes'];
  const output = await yo(cwd, ['orders', '--project', 'acme', ...options]);
  t.regex(output, /Created @acme\/orders/);
  t.regex(output, /Next: cd orders && cp \.env\.example \.env && /, 'npm install already ran: not a next step');
  orders = repo(join(cwd, 'orders'));
  const vendored = `vendor/jworker-runtime-${runtimeVersion()}.tgz`;
  t.is(orders.json<{ dependencies: Record<string, string> }>('package.json').dependencies['jworker-runtime'], `file:${vendored}`);
  t.true(orders.exists('node_modules/jworker-runtime/package.json'), 'npm install ran in ./orders');
  t.false(orders.read('package-lock.json').includes(work), 'the lock file names no path outside the repo');
  t.true((await git(orders.dir, ['ls-files'])).split('\n').includes(vendored), 'the tarball is committed');

  const cloned = join(work, 'clone');
  await git(work, ['clone', '-q', orders.dir, cloned]);
  clone = repo(cloned);
  const ci = clone.yaml<{ jobs: { test: { env: Record<string, string>; steps: Array<{ run?: string }> } } }>('.github/workflows/ci.yml');
  const steps = ci.jobs.test.steps.flatMap((step) => (step.run ? [step.run] : []));
  t.deepEqual(steps, ['npm ci', 'npm run typecheck', 'npm run lint', 'npm test', 'npm run build']);
  for (const step of steps) {
    const output = await runAsUser('sh', ['-c', step], { cwd: clone.dir, env: env({ ...ci.jobs.test.env, AMQP_URL }) });
    if (step !== 'npm test') continue;
    t.regex(output, /\d+ tests passed/);
    // Its own checks of what it deploys: the manifests against the Kubernetes and KEDA schemas, the CI workflow.
    t.regex(output, /✔ deploy › every manifest in deploy\/k8s passes the Kubernetes or KEDA schema/);
    t.regex(output, /✔ deploy › KEDA measures the queue the worker consumes/);
    t.regex(output, /✔ workflows › every workflow in \.github\/workflows is one GitHub Actions accepts/);
  }
  t.true(clone.exists('dist/main.js'));
});

test.serial('the Dockerfile builds from the fresh clone without Docker, and its image serves tasks as a plain user', async (t) => {
  if (!clone) return t.fail('the first test did not clone the repo');
  const imageRoot = userDir(join(work, 'image'));
  const image = await emulateDockerBuild({
    dockerfile: clone.read('Dockerfile'),
    context: clone.dir,
    root: imageRoot,
    run: (command, cwd, stageEnv) => {
      userDir(imageRoot);
      return runAsUser('sh', ['-c', command], { cwd, env: env(stageEnv) });
    },
  });
  t.log(`not carried out: ${image.skipped.join(' | ')}`);
  t.is(image.user, 'node');
  const installed = (name: string) => existsSync(join(image.workdir, 'node_modules', name, 'package.json'));
  t.true(installed('jworker-runtime') && installed('bunyan') && installed('zod'), 'the production dependencies, the vendored runtime too');
  t.false(installed('typescript'), 'no dev dependency');
  // bunyan's optional dependencies: a native build (dtrace-provider) and a deprecated rimraf/glob chain (mv).
  for (const optional of ['dtrace-provider', 'mv', 'rimraf']) t.false(installed(optional), `${optional} is not installed`);
  t.false(existsSync(join(image.workdir, 'src')), 'no sources');

  const queue = `jworker-gen-e2e-${process.pid}-${Date.now()}`;
  const [command = 'node', ...args] = image.cmd;
  const worker = startAsUser(command === 'node' ? process.execPath : command, args, {
    cwd: image.workdir,
    // METRICS_PORT=0: the image's fixed port may be taken on a shared machine.
    env: env({ ...image.env, AMQP_URL, WORKER_QUEUE: queue, METRICS_PORT: '0', RETRY_MAX_ATTEMPTS: '2', RETRY_INITIAL_DELAY_MS: '1000' }),
  });
  const client = new TaskClient({ url: AMQP_URL, callTimeoutMs: 20_000 });
  t.teardown(async () => {
    killGroup(worker);
    await client.close();
    await deleteWorkerQueues(image.workdir, AMQP_URL, queue);
  });
  await waitForOutput(worker, new RegExp(`consuming from ${queue}`), 30_000);
  const result = await client.call(queue, { id: 'e2e-1', items: ['alpha', 'beta'] });
  t.like(result, { id: 'e2e-1', processed: 2, results: ['ALPHA', 'BETA'] });
  const failure = await t.throwsAsync(client.call(queue, { id: 'e2e-2', items: ['alpha', ' '] }));
  t.like(failure, { name: 'TaskFailedError', code: 'BLANK_ITEM', permanent: true });
  worker.kill('SIGTERM');
  t.is(await exitCode(worker, 20_000), 0);
});

test.serial('npm run dev reads .env, prints readable log lines, and Ctrl-C stops the worker gracefully', async (t) => {
  if (!clone) return t.fail('the first test did not clone the repo');
  const queue = `jworker-gen-dev-${process.pid}-${Date.now()}`;
  // Only .env names the queue: the worker consuming from it shows that .env was read.
  writeFileSync(clone.path('.env'), `${readFileSync(clone.path('.env.example'), 'utf8')}\nWORKER_QUEUE=${queue}\nMETRICS_PORT=0\n`);
  userDir(clone.dir);
  const dev = startAsUser('npm', ['run', 'dev'], { cwd: clone.dir, env: env({ AMQP_URL }) });
  t.teardown(async () => {
    killGroup(dev);
    await deleteWorkerQueues(clone?.dir ?? '', AMQP_URL, queue);
  });
  const output = await waitForOutput(dev, new RegExp(`INFO {2}orders: consuming from ${queue}`), 60_000);
  t.false(/^\{"name"/m.test(output), 'no raw JSON log lines');
  // Ctrl-C in the terminal: SIGINT to the whole process group.
  process.kill(-(dev.pid ?? 0), 'SIGINT');
  t.regex(await waitForOutput(dev, /INFO {2}orders: stopped/, 30_000), /received SIGINT: stopping gracefully/);
});

/** One span of an OTLP/HTTP JSON export, with its resource's service name. */
interface ExportedSpan {
  readonly service: string | undefined;
  readonly name: string;
  readonly kind: number;
  readonly attributes: Record<string, unknown>;
}

/** An OTLP/HTTP endpoint (`POST /v1/traces`, JSON) keeping every span it receives. */
async function startOtlpEndpoint() {
  const spans: ExportedSpan[] = [];
  const contentTypes = new Set<string>();
  type AnyValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
  type KeyValue = { key: string; value: AnyValue };
  const value = (v: AnyValue) =>
    v.stringValue ?? (v.intValue === undefined ? undefined : Number(v.intValue)) ?? v.boolValue ?? v.doubleValue;
  const record = (attributes: KeyValue[] = []) => Object.fromEntries(attributes.map((a) => [a.key, value(a.value)]));
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      contentTypes.add(String(req.headers['content-type']));
      if (req.method === 'POST' && req.url === '/v1/traces' && String(req.headers['content-type']).startsWith('application/json')) {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          resourceSpans?: Array<{
            resource?: { attributes?: KeyValue[] };
            scopeSpans?: Array<{ spans?: Array<{ name: string; kind: number; attributes?: KeyValue[] }> }>;
          }>;
        };
        for (const resourceSpans of body.resourceSpans ?? []) {
          const service = record(resourceSpans.resource?.attributes)['service.name'] as string | undefined;
          for (const scope of resourceSpans.scopeSpans ?? [])
            for (const span of scope.spans ?? [])
              spans.push({ service, name: span.name, kind: span.kind, attributes: record(span.attributes) });
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    contentTypes,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

test.serial('with OTEL_EXPORTER_OTLP_ENDPOINT set, the built worker sends its spans over OTLP/HTTP, the last ones on stop', async (t) => {
  if (!clone) return t.fail('the first test did not clone the repo');
  // One copy of the API in the generated repo: the SDK registers through the copy jworker-runtime reads.
  const apis = (await runAsUser('npm', ['ls', '@opentelemetry/api', '--all', '--parseable'], inDir(clone.dir))).trim().split('\n');
  t.deepEqual([...new Set(apis)].length, 1, `one @opentelemetry/api: ${apis.join(', ')}`);

  const endpoint = await startOtlpEndpoint();
  const queue = `jworker-gen-otel-${process.pid}-${Date.now()}`;
  const worker = startAsUser(process.execPath, ['dist/main.js'], {
    cwd: clone.dir,
    env: env({ AMQP_URL, WORKER_QUEUE: queue, METRICS_PORT: '0', OTEL_EXPORTER_OTLP_ENDPOINT: endpoint.url }),
  });
  const client = new TaskClient({ url: AMQP_URL, callTimeoutMs: 20_000 });
  t.teardown(async () => {
    killGroup(worker);
    await client.close();
    await endpoint.close();
    await deleteWorkerQueues(clone?.dir ?? '', AMQP_URL, queue);
  });
  const output = await waitForOutput(worker, new RegExp(`consuming from ${queue}`), 30_000);
  t.false(output.includes('cannot see'), 'the runtime sees the SDK the worker registered');
  t.like(await client.call(queue, { id: 'e2e-traced', items: ['alpha'] }, { taskId: 'e2e-traced' }), { id: 'e2e-traced', processed: 1 });
  // The batch processor holds spans for 5 s: the graceful stop sends them (runWorker's beforeExit).
  worker.kill('SIGTERM');
  t.is(await exitCode(worker, 20_000), 0);

  const processed = endpoint.spans.filter((span) => span.name === `process ${queue}`);
  t.is(
    processed.length,
    1,
    `spans received: ${endpoint.spans.map((s) => s.name).join(', ')}; content types: ${[...endpoint.contentTypes].join(', ')}`,
  );
  t.like(processed[0], {
    service: 'orders',
    kind: 5, // SPAN_KIND_CONSUMER
    attributes: {
      'messaging.system': 'rabbitmq',
      'messaging.message.id': 'e2e-traced',
      'jworker.outcome': 'completed',
      'jworker.attempt': 1,
    },
  });
});

test.serial('the Dockerfile and the compose and CI files are valid and name only files that exist', (t) => {
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

test.serial('git: one commit on main, a clean tree, secrets and installs ignored; yo jworker inside updates it', async (t) => {
  if (!orders) return t.fail('the first test did not generate the repo');
  const { dir } = orders;
  t.is((await git(dir, ['log', '--format=%s'])).trim(), 'Create the orders worker with generator-jworker 0.1.0');
  t.is((await git(dir, ['rev-parse', '--abbrev-ref', 'HEAD'])).trim(), 'main');
  t.is(await git(dir, ['status', '--porcelain']), '', 'node_modules and the lock file changes of npm install are accounted for');
  const tracked = (await git(dir, ['ls-files'])).split('\n');
  for (const file of ['.gitignore', '.env.example', '.yo-rc.json', 'Dockerfile', 'src/app/orders.worker.ts', 'package-lock.json'])
    t.true(tracked.includes(file), file);
  writeFileSync(orders.path('.env'), 'GRAPHQL_TOKEN=secret\n');
  writeFileSync(orders.path('runtime.tgz'), '');
  userDir(dir);
  t.is(await git(dir, ['status', '--porcelain']), '', '.env and stray tarballs are ignored');

  // The upgrade path: yo jworker again inside the repo, answers from .yo-rc.json.
  const dockerfile = orders.read('Dockerfile');
  writeFileSync(orders.path('Dockerfile'), 'FROM scratch\n');
  writeFileSync(orders.path('src/app/orders.worker.ts'), `${orders.read('src/app/orders.worker.ts')}// my change\n`);
  userDir(dir);
  const output = await yo(dir, ['--runtime-version', `file:${tarball}`, '--force', '--skip-install']);
  t.regex(output, /Updated @acme\/orders/);
  t.is(orders.read('Dockerfile'), dockerfile, 'the managed Dockerfile is restored');
  t.is(await git(dir, ['status', '--porcelain']), ' M src/app/orders.worker.ts\n', 'only the worker code differs');
  t.like(orders.json('.yo-rc.json'), { 'generator-jworker': { name: 'orders', project: 'acme' } });
});
