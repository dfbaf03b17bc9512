import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { ENV_VARIABLES } from 'jworker-runtime';
import helpers from 'yeoman-test';
import { RABBITMQ_IMAGE } from '../src/app/versions.js';
import { BASE, Generator, generate, options, rejectsWith, SETTINGS } from './generate.js';
import { composeReferences, dockerCopySources, type Repo, repo, runtimeVersion } from './helpers.js';

// yeoman-test changes the process's cwd: every test in this file runs serially.

test.serial('creates the repository in ./<name> and writes nothing beside it', async (t) => {
  const { cwd, repo } = await generate(['orders']);
  t.deepEqual(readdirSync(cwd), ['orders']);
  const files = [
    'src/app/orders.worker.ts',
    'src/main.ts',
    'src/tracing.ts',
    'test/orders.worker.test.ts',
    'package.json',
    'tsconfig.json',
    'tsup.config.ts',
    'biome.json',
    '.nvmrc',
    '.gitignore',
    '.dockerignore',
    '.env.example',
    'Dockerfile',
    'docker-compose.yml',
    'docker-compose.prod.yml',
    'monitoring/prometheus.yml',
    'monitoring/alerts.yml',
    'monitoring/alerts.test.yml',
    'monitoring/grafana/provisioning/datasources/prometheus.yml',
    'monitoring/grafana/provisioning/dashboards/jworker.yml',
    'monitoring/grafana/dashboards/jworker.json',
    '.github/workflows/ci.yml',
    'test/workflows.test.ts',
    'README.md',
    '.yo-rc.json',
  ];
  for (const file of files) t.true(repo.exists(file), `${file} is generated`);
  t.false(repo.exists('gitignore'), 'the shipped gitignore is renamed to .gitignore');
  t.false(repo.exists('env.example'));
});

test.serial('the worker class extends BaseWorker with the full worker API and the project queue', async (t) => {
  const { repo } = await generate(['email-sender']);
  const worker = repo.read('src/app/email-sender.worker.ts');
  t.regex(worker, /export const QUEUE = 'acme\.email-sender';/);
  t.regex(worker, /export class EmailSenderWorker extends BaseWorker<EmailSenderTask, EmailSenderResult>/);
  t.regex(worker, /export type EmailSenderTask = /);
  t.regex(worker, /export interface EmailSenderResult/);
  t.regex(worker, /return 'email-sender';/, 'getWorkerType is the worker name');
  for (const member of ['taskSchema', 'getWorkerType', 'initialize', 'getInitialStep', 'executeTask', 'isPermanentError']) {
    t.regex(worker, new RegExp(`\\b${member}\\b`), member);
  }
  t.regex(worker, /context\.progress\(/);
  t.regex(worker, /new WorkerError\(.*\{ permanent: true/s);
  t.regex(worker, /from 'jworker-runtime'/);
});

test.serial('a name ending in -worker does not give a WorkerWorker class', async (t) => {
  const { repo } = await generate(['pdf-worker']);
  t.regex(repo.read('src/app/pdf-worker.worker.ts'), /export class PdfWorker extends BaseWorker<PdfTask, PdfResult>/);
});

test.serial('main.ts loads the configuration and runs the worker on the project queue', async (t) => {
  const { repo } = await generate(['orders']);
  const main = repo.read('src/main.ts');
  t.regex(main, /import \{ loadConfig, runWorker \} from 'jworker-runtime';/);
  t.regex(main, /import \{ OrdersWorker, QUEUE \} from '\.\/app\/orders\.worker\.js';/);
  t.regex(main, /runWorker\(\(\) => new OrdersWorker\(\{ queue: QUEUE, \.\.\.loadConfig\(\) \}\), \{ beforeExit: tracing\.shutdown \}\)/);
});

test.serial('tracing starts after .env is read, named after the worker type, and is flushed before the exit', async (t) => {
  const { repo } = await generate(['orders']);
  const main = repo.read('src/main.ts');
  t.true(main.indexOf("const tracing = await startTracing('orders');") > main.indexOf("process.loadEnvFile('.env')"));
  const pkg = repo.json<{ dependencies: Record<string, string> }>('package.json');
  for (const name of ['@opentelemetry/api', '@opentelemetry/sdk-trace', '@opentelemetry/exporter-trace-otlp-http'])
    t.truthy(pkg.dependencies[name], `${name} is a dependency`);
  const env = repo.read('.env.example');
  for (const variable of ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_TRACES_EXPORTER', 'OTEL_SERVICE_NAME', 'OTEL_TRACES_SAMPLER'])
    t.regex(env, new RegExp(`^# ${variable}=`, 'm'), `.env.example documents ${variable}, commented out: tracing is off by default`);
});

test.serial('the test file uses jworker-runtime/testing for success, permanent failure and progress', async (t) => {
  const { repo } = await generate(['orders']);
  const spec = repo.read('test/orders.worker.test.ts');
  t.regex(spec, /import \{ runTask \} from 'jworker-runtime\/testing';/);
  t.regex(spec, /import \{ OrdersWorker \} from '\.\.\/src\/app\/orders\.worker\.js';/);
  t.regex(spec, /outcome, 'completed'/);
  t.regex(spec, /reason, 'permanent'/);
  t.regex(spec, /status === 'PROGRESS'/);
});

test.serial('package.json: scoped name, scripts, engines and the default runtime range', async (t) => {
  const { repo } = await generate(['orders'], { ...BASE, description: 'Renders orders', author: 'Jane <jane@example.com>' });
  const pkg = repo.json<{
    name: string;
    description: string;
    author: string;
    type: string;
    private: boolean;
    engines: { node: string };
    scripts: Record<string, string>;
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  }>('package.json');
  t.is(pkg.name, '@acme/orders');
  t.is(pkg.description, 'Renders orders');
  t.is(pkg.author, 'Jane <jane@example.com>');
  t.is(pkg.type, 'module');
  t.true(pkg.private);
  t.is(pkg.engines.node, '>=20.17');
  t.is(pkg.dependencies['jworker-runtime'], `^${runtimeVersion()}`);
  t.is(pkg.scripts['build'], 'tsup');
  t.regex(pkg.scripts['dev'] ?? '', /watch/);
  t.is(pkg.scripts['start'], 'node dist/main.js');
  t.is(pkg.scripts['test'], 'ava');
  t.is(pkg.scripts['typecheck'], 'tsc --noEmit');
  t.regex(pkg.scripts['lint'] ?? '', /^biome check/);
  for (const tool of ['typescript', 'tsup', 'tsx', 'ava', '@biomejs/biome', '@types/node']) t.truthy(pkg.devDependencies[tool], tool);
});

test.serial('--runtime-version sets the dependency to a range; a file: tarball is copied into vendor/ and used there', async (t) => {
  const ranged = await generate(['orders'], { ...BASE, runtimeVersion: '~0.1.2' });
  t.is(ranged.repo.json<{ dependencies: Record<string, string> }>('package.json').dependencies['jworker-runtime'], '~0.1.2');
  t.false(ranged.repo.exists('vendor'));
  t.false(ranged.repo.read('Dockerfile').includes('vendor'), 'no vendor/ to copy into the image');

  const tarball = await generate(['orders'], { ...BASE, 'runtime-version': 'file:./runtime-9.9.9.tgz' }, (dir) => {
    writeFileSync(join(dir, 'runtime-9.9.9.tgz'), Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xff]));
  });
  const { repo } = tarball;
  t.is(
    repo.json<{ dependencies: Record<string, string> }>('package.json').dependencies['jworker-runtime'],
    'file:vendor/runtime-9.9.9.tgz',
  );
  t.deepEqual(readFileSync(repo.path('vendor/runtime-9.9.9.tgz')), readFileSync(join(tarball.cwd, 'runtime-9.9.9.tgz')), 'the same bytes');
  t.like(repo.json('.yo-rc.json'), { 'generator-jworker': { runtimeVersion: 'file:vendor/runtime-9.9.9.tgz' } });
  // Both stages need the tarball before npm ci; git must keep it, although *.tgz is ignored otherwise.
  const dockerfile = repo.read('Dockerfile');
  for (const stage of dockerfile.split(/^FROM /m).slice(1)) {
    t.true(dockerCopySources(`FROM ${stage}`).includes('vendor'), 'COPY vendor in every stage');
    t.true(stage.indexOf('COPY vendor ./vendor') < stage.indexOf('RUN npm ci'), 'before npm ci');
  }
  t.true(repo.read('.gitignore').split('\n').includes('!vendor/*.tgz'));
  t.true(repo.read('.dockerignore').split('\n').includes('!vendor/*.tgz'));
});

test.serial('--runtime-version file: refuses a folder: only a packed tarball can travel with the repo', async (t) => {
  const message = await rejectsWith(
    ['orders'],
    { ...BASE, runtimeVersion: 'file:./runtime' },
    /is a folder; give a packed tarball/,
    (dir) => mkdirSync(join(dir, 'runtime')),
  );
  t.regex(message, /npm pack/);
});

test.serial('tsconfig is strict, tsup builds src/main.ts, .nvmrc pins a supported Node', async (t) => {
  const { repo } = await generate(['orders']);
  const tsconfig = repo.json<{ compilerOptions: Record<string, unknown>; include: string[] }>('tsconfig.json');
  t.true(tsconfig.compilerOptions['strict']);
  t.deepEqual(tsconfig.include, ['src', 'test', 'tsup.config.ts']);
  t.regex(repo.read('tsup.config.ts'), /entry: \{ main: 'src\/main\.ts' \}/);
  t.is(repo.read('.nvmrc').trim(), '22');
});

test.serial('.gitignore and .dockerignore keep secrets and build output out', async (t) => {
  const { repo } = await generate(['orders']);
  const gitignore = repo.read('.gitignore').split('\n');
  for (const entry of ['node_modules/', 'dist/', '.env', '!.env.example']) t.true(gitignore.includes(entry), entry);
  const dockerignore = repo.read('.dockerignore').split('\n');
  for (const entry of ['node_modules', 'dist', '.git', '.env']) t.true(dockerignore.includes(entry), entry);
});

test.serial('.env.example documents every variable jworker-runtime reads', async (t) => {
  const { repo } = await generate(['orders']);
  const env = repo.read('.env.example');
  for (const [variable, meaning] of Object.entries(ENV_VARIABLES)) {
    t.regex(env, new RegExp(`^#? ?${variable}=`, 'm'), variable);
    t.true(env.includes(meaning), `meaning of ${variable}`);
  }
  t.regex(env, /^AMQP_URL=amqp:\/\/guest:guest@localhost:5672$/m);
  t.regex(env, /^METRICS_PORT=9464$/m);
  t.regex(env, /^# WORKER_QUEUE=acme\.orders$/m);
});

test.serial('Dockerfile: multi-stage, npm ci, production deps only, tini, user node, health check', async (t) => {
  const { repo } = await generate(['orders']);
  const dockerfile = repo.read('Dockerfile');
  t.is(dockerfile.match(/^FROM /gm)?.length, 2);
  t.regex(dockerfile, /^RUN npm ci\b/m);
  t.regex(dockerfile, /^RUN npm run build$/m);
  t.regex(dockerfile, /^RUN npm ci --omit=dev --omit=optional /m, 'the runtime stage installs no dev and no optional dependencies');
  t.regex(dockerfile, /^COPY --from=build \/app\/dist \.\/dist$/m);
  t.regex(dockerfile, /^RUN apk add --no-cache tini$/m);
  t.regex(dockerfile, /^ENTRYPOINT \["\/sbin\/tini", "--"\]$/m);
  t.regex(dockerfile, /^CMD \["node", "dist\/main\.js"\]$/m);
  t.regex(dockerfile, /METRICS_PORT=9464/);
  t.regex(dockerfile, /^HEALTHCHECK .*\n\s+CMD \["node", "-e", "fetch\(.*\/healthz'\)/m);
  const user = dockerfile.indexOf('\nUSER node\n');
  t.true(user > 0, 'runs as USER node');
  t.true(user > dockerfile.lastIndexOf('\nRUN '), 'USER node comes after the last RUN');
});

test.serial('docker-compose.yml: RabbitMQ with a health check, the worker after it, monitoring opt-in', async (t) => {
  const { repo } = await generate(['orders']);
  type Service = Record<string, unknown> & { profiles?: string[]; environment?: Record<string, string> };
  const compose = repo.yaml<{ name: string; services: Record<string, Service> }>('docker-compose.yml');
  t.is(compose.name, 'acme-orders');
  const { rabbitmq, worker, prometheus, grafana, jaeger } = compose.services;
  t.is(rabbitmq?.['image'], RABBITMQ_IMAGE);
  t.true(((rabbitmq?.['ports'] ?? []) as string[]).some((port) => port.endsWith(':15672:15672')));
  t.deepEqual((rabbitmq?.['healthcheck'] as { test: string[] } | undefined)?.test, ['CMD', 'rabbitmq-diagnostics', '-q', 'ping']);
  t.is(worker?.['build'], '.');
  t.deepEqual(worker?.['depends_on'], { rabbitmq: { condition: 'service_healthy' } });
  t.deepEqual(worker?.['env_file'], [{ path: '.env', required: false }]);
  t.is(worker?.environment?.['AMQP_URL'], 'amqp://guest:guest@rabbitmq:5672');
  t.deepEqual(prometheus?.profiles, ['monitoring']);
  t.deepEqual(grafana?.profiles, ['monitoring']);
  t.deepEqual(jaeger?.profiles, ['monitoring'], 'the trace backend comes with the monitoring profile');
  t.regex(String(jaeger?.['image']), /^jaegertracing\/all-in-one:\d+\.\d+\.\d+$/);
  t.is(worker?.profiles, undefined, 'the worker runs without a profile');
  for (const file of composeReferences(compose as never)) t.true(repo.exists(file), `${file}, named by docker-compose.yml, exists`);
});

test.serial('docker-compose.yml publishes every port on 127.0.0.1 only, and Grafana gives anonymous visitors no Admin', async (t) => {
  const { repo } = await generate(['orders']);
  type Service = { ports?: string[]; environment?: Record<string, string> };
  const compose = repo.yaml<{ services: Record<string, Service> }>('docker-compose.yml');
  const published = Object.entries(compose.services).flatMap(([name, service]) => (service.ports ?? []).map((port) => [name, port]));
  t.deepEqual(
    published.map(([name]) => name),
    ['rabbitmq', 'rabbitmq', 'worker', 'prometheus', 'grafana', 'jaeger', 'jaeger'],
  );
  for (const [name, port] of published) t.regex(port ?? '', /^127\.0\.0\.1:\d+:\d+$/, `${name} publishes ${port} on loopback only`);
  const grafana = compose.services['grafana']?.environment ?? {};
  t.not(grafana['GF_AUTH_ANONYMOUS_ORG_ROLE'], 'Admin');
  t.not(grafana['GF_AUTH_DISABLE_LOGIN_FORM'], 'true', 'the admin can log in');
});

test.serial('docker-compose.prod.yml: registry image, restarts, replicas, limits, no build and no mounts', async (t) => {
  const { repo } = await generate(['orders']);
  const compose = repo.yaml<{ services: Record<string, Record<string, unknown>> }>('docker-compose.prod.yml');
  const worker = compose.services['worker'] ?? {};
  t.regex(String(worker['image']), /\/acme\/orders:/);
  t.is(worker['restart'], 'unless-stopped');
  t.is(worker['build'], undefined);
  t.is(worker['volumes'], undefined);
  const deploy = worker['deploy'] as { replicas: unknown; resources: { limits: { memory: string; cpus: string } } };
  t.truthy(deploy.replicas);
  t.truthy(deploy.resources.limits.memory);
  t.truthy(deploy.resources.limits.cpus);
  t.like(worker['logging'], { driver: 'json-file', options: { 'max-size': '10m' } });
  for (const file of composeReferences(compose as never)) t.true(repo.exists(file), `${file}, named by docker-compose.prod.yml, exists`);
});

test.serial('monitoring: Prometheus scrapes METRICS_PORT, Grafana is provisioned with the jworker dashboard', async (t) => {
  const { repo } = await generate(['orders']);
  const prometheus = repo.yaml<{
    rule_files: string[];
    scrape_configs: Array<{ job_name: string; metrics_path: string; dns_sd_configs: Array<{ port: number }> }>;
  }>('monitoring/prometheus.yml');
  t.is(prometheus.scrape_configs[0]?.job_name, 'orders');
  t.is(prometheus.scrape_configs[0]?.metrics_path, '/metrics');
  t.is(prometheus.scrape_configs[0]?.dns_sd_configs[0]?.port, 9464);
  t.deepEqual(prometheus.rule_files, ['alerts.yml'], 'the alert rules next to it are loaded');
  const compose = repo.yaml<{ services: Record<string, { volumes?: string[] }> }>('docker-compose.yml');
  t.true(compose.services.prometheus?.volumes?.includes('./monitoring/alerts.yml:/etc/prometheus/alerts.yml:ro'));
  const datasources = repo.yaml<{ datasources: Array<{ uid: string; url: string }> }>(
    'monitoring/grafana/provisioning/datasources/prometheus.yml',
  );
  t.is(datasources.datasources[0]?.url, 'http://prometheus:9090');
  const provider = repo.yaml<{ providers: Array<{ options: { path: string } }> }>('monitoring/grafana/provisioning/dashboards/jworker.yml');
  t.is(provider.providers[0]?.options.path, '/var/lib/grafana/dashboards');
  const dashboard = repo.json<{
    title: string;
    panels: Array<{ title: string; datasource: { uid: string }; targets: Array<{ expr: string }> }>;
  }>('monitoring/grafana/dashboards/jworker.json');
  t.is(dashboard.title, 'jworker: orders');
  const titles = dashboard.panels.map((panel) => panel.title);
  for (const title of ['Queue depth', 'Throughput', 'Failure rate', 'Task duration', 'Retries', 'In flight'])
    t.true(titles.includes(title), title);
  const exprs = dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr)).join('\n');
  for (const metric of [
    'jworker_queue_messages',
    'jworker_tasks_total',
    'outcome="dead_lettered"',
    'outcome="retried"',
    'histogram_quantile(0.95, sum by (le) (rate(jworker_task_duration_seconds_bucket',
    'jworker_tasks_in_flight',
    'jworker_dead_lettered_total',
    'jworker_broker_connected',
    'jworker_broker_reconnects_total',
    'jworker_progress_events_total',
  ])
    t.true(exprs.includes(metric), metric);
  t.true(dashboard.panels.every((panel) => panel.datasource.uid === datasources.datasources[0]?.uid));
});

test.serial('CI: Node 20 and 22, a healthy RabbitMQ service, every check, then the image', async (t) => {
  const { repo } = await generate(['orders']);
  const ci = repo.yaml<{
    jobs: Record<
      string,
      {
        strategy?: { matrix: { node: number[] } };
        services?: Record<string, { image: string; options: string }>;
        steps: Array<{ run?: string }>;
      }
    >;
  }>('.github/workflows/ci.yml');
  const test_ = ci.jobs['test'];
  t.deepEqual(test_?.strategy?.matrix.node, [20, 22]);
  t.is(test_?.services?.['rabbitmq']?.image, RABBITMQ_IMAGE);
  t.regex(test_?.services?.['rabbitmq']?.options ?? '', /--health-cmd "rabbitmq-diagnostics -q ping"/);
  const runs = (test_?.steps ?? []).map((step) => step.run).filter(Boolean);
  t.deepEqual(runs, ['npm ci', 'npm run typecheck', 'npm run lint', 'npm test', 'npm run build']);
  // The image jobs (built on pull requests, published on pushes) are covered in workflows.test.ts.
  t.deepEqual(Object.keys(ci.jobs), ['test', 'image', 'publish']);
});

test.serial('README covers run, test, configure, deploy and upgrade for this worker', async (t) => {
  const { repo } = await generate(['orders']);
  const readme = repo.read('README.md');
  t.regex(readme, /^# @acme\/orders$/m);
  for (const section of ['## Run', '## Test', '## Configure', '## Deploy', '## Upgrade the runtime'])
    t.true(readme.includes(section), section);
  t.true(readme.includes('acme.orders'));
  t.true(readme.includes('docker-compose.prod.yml'));
});

test.serial('README: the Node.js range unescaped, and the jworker commands to try the worker with', async (t) => {
  const { repo } = await generate(['orders']);
  const readme = repo.read('README.md');
  t.true(readme.includes('Requires Node.js >=20.17 '));
  t.false(/&(gt|lt|amp|#\d+);/.test(readme), 'no HTML entities in a Markdown file');
  t.regex(readme, /^npx jworker enqueue acme\.orders '\{"id":"order-42","items":\["alpha","beta"\]\}' --wait/m);
  t.regex(readme, /^npx jworker stats acme\.orders/m);
  t.regex(readme, /^npx jworker dead list acme\.orders/m);
  // The task in the README is one the generated worker accepts: its schema is the one in the worker template.
  t.regex(repo.read('src/app/orders.worker.ts'), /id: z\.string\(\)\.min\(1\),\s+[\s\S]*items: z\.array\(z\.string\(\)\)/);
});

test.serial('npm run dev pretty-prints the logs; dev and start read .env when it exists', async (t) => {
  const { repo } = await generate(['orders']);
  const scripts = repo.json<{ scripts: Record<string, string> }>('package.json').scripts;
  t.is(scripts['dev'], 'tsx watch src/main.ts | jworker logs');
  t.is(scripts['start'], 'node dist/main.js');
  t.regex(repo.read('src/main.ts'), /^if \(existsSync\('\.env'\)\) process\.loadEnvFile\('\.env'\);$/m);
});

test.serial('.yo-rc.json stores every answer for later updates', async (t) => {
  const { repo } = await generate(['orders'], { ...BASE, description: 'Orders', author: 'Jane', runtimeVersion: '^0.1.0' });
  t.like(repo.json('.yo-rc.json'), {
    'generator-jworker': { name: 'orders', project: 'acme', description: 'Orders', author: 'Jane', runtimeVersion: '^0.1.0' },
  });
});

test.serial('missing answers are prompted for', async (t) => {
  const result = await helpers
    .run(Generator, SETTINGS)
    .withOptions(options({ skipGit: true, skipInstall: true }))
    .withAnswers({ name: 'billing', project: 'globex', description: 'Bills', author: 'Ann', runtimeVersion: '^0.1.0', deploy: 'k8s' })
    .withSpawnMock();
  const generated = repo(join(result.cwd, 'billing'));
  t.like(generated.json('package.json'), { name: '@globex/billing', description: 'Bills', author: 'Ann' });
  t.true(generated.exists('deploy/k8s/scaledobject.yaml'), 'the deploy answer is used');
  t.false(generated.exists('docker-compose.prod.yml'));
  t.deepEqual(
    result.askedQuestions.map((question) => question.name),
    ['name', 'project', 'description', 'author', 'runtimeVersion', 'deploy'],
  );
});

test.serial('given options are not asked again', async (t) => {
  const result = await helpers
    .run(Generator, SETTINGS)
    .withArguments(['billing'])
    .withOptions(options({ project: 'globex', runtimeVersion: '^0.1.0', skipGit: true, skipInstall: true }))
    .withAnswers({ description: 'Bills', author: 'Ann' })
    .withSpawnMock();
  t.deepEqual(
    result.askedQuestions.map((question) => question.name),
    ['description', 'author', 'deploy'],
  );
});

test.serial('--yes uses defaults for every answer not given and asks nothing', async (t) => {
  const result = await helpers.run(Generator, SETTINGS).withArguments(['billing']).withOptions(BASE).withSpawnMock();
  t.deepEqual(result.askedQuestions, []);
  const pkg = repo(join(result.cwd, 'billing')).json<{ description: string; dependencies: Record<string, string> }>('package.json');
  t.regex(pkg.description, /billing/);
  t.is(pkg.dependencies['jworker-runtime'], `^${runtimeVersion()}`);
});

test.serial('npm install runs in the new folder unless --skip-install', async (t) => {
  const installed = await generate(['orders'], { ...BASE, skipInstall: false });
  const npm = installed.spawned.filter((call) => call[0] === 'spawn' && call[1] === 'npm');
  t.is(npm.length, 1);
  t.deepEqual(((npm[0]?.[2] ?? []) as string[]).slice(0, 1), ['install']);
  t.is((npm[0]?.[3] as { cwd: string } | undefined)?.cwd, installed.repo.dir);
  const skipped = await generate(['orders'], { ...BASE, skipInstall: true });
  t.false(skipped.spawned.some((call) => call[1] === 'npm'));
});

test.serial('--skip-git skips git; without it the repository is initialized and committed', async (t) => {
  const skipped = await generate(['orders']);
  t.false(skipped.spawned.some((call) => call[1] === 'git'));
  t.false(skipped.repo.exists('.git'));
  const withGit = await generate(['orders'], { ...BASE, skipGit: false });
  const git = withGit.spawned.filter((call) => call[1] === 'git').map((call) => (call[2] as string[])[0]);
  t.deepEqual(git, ['init', 'symbolic-ref', 'add', 'commit']);
  t.true(withGit.spawned.filter((call) => call[1] === 'git').every((call) => (call[3] as { cwd: string }).cwd === withGit.repo.dir));
});

test.serial('an existing empty folder is used', async (t) => {
  const { repo } = await generate(['orders'], { ...BASE, force: false }, (dir) => mkdirSync(join(dir, 'orders')));
  t.true(repo.exists('package.json'));
});

test.serial('an existing non-empty folder is refused unless --force', async (t) => {
  const prepare = (dir: string) => {
    mkdirSync(join(dir, 'orders'));
    writeFileSync(join(dir, 'orders', 'notes.txt'), 'mine');
  };
  const message = await rejectsWith(['orders'], { ...BASE, force: false }, /\.\/orders already exists and is not empty/, prepare);
  t.regex(message, /notes\.txt/);
  t.regex(message, /--force/);
  const forced = await generate(['orders'], { ...BASE, force: true }, prepare);
  t.is(forced.repo.read('notes.txt'), 'mine');
  t.true(forced.repo.exists('package.json'));
});

for (const [name, message] of [
  ['Orders', /worker name "Orders" is not kebab-case/],
  ['my_worker', /worker name "my_worker" is not kebab-case/],
  ['1orders', /worker name "1orders" is not kebab-case/],
  ['orders--v2', /worker name "orders--v2" is not kebab-case/],
  ['../evil', /worker name "\.\.\/evil" is a path: nothing is written outside/],
  ['/tmp/evil', /worker name "\/tmp\/evil" is a path/],
  ['a/b', /worker name "a\/b" is a path/],
  ['..', /worker name "\.\." is a path/],
] as const) {
  test.serial(`refuses the worker name ${name}`, async (t) => {
    await rejectsWith([name], BASE, message);
    t.pass();
  });
}

test.serial('refuses a project that is not kebab-case', async (t) => {
  await rejectsWith(['orders'], { ...BASE, project: 'Acme Corp' }, /project "Acme Corp" is not kebab-case/);
  await rejectsWith(['orders'], { ...BASE, project: '../acme' }, /project "\.\.\/acme" is a path/);
  t.pass();
});

test.serial('--yes without a name or a project says which is missing', async (t) => {
  await rejectsWith([], BASE, /the worker name is missing/);
  await rejectsWith(['orders'], { yes: true, skipGit: true }, /the project is missing: pass --project/);
  t.pass();
});

test.serial('refuses a --runtime-version that is not a range or an existing file', async (t) => {
  await rejectsWith(['orders'], { ...BASE, runtimeVersion: 'not a version!' }, /--runtime-version "not a version!" is not a version range/);
  await rejectsWith(
    ['orders'],
    { ...BASE, runtimeVersion: 'file:./missing.tgz' },
    /--runtime-version "file:\.\/missing\.tgz": nothing at .*missing\.tgz/,
  );
  t.pass();
});

test.serial('a prompted answer is checked too', async (t) => {
  await t.throwsAsync(
    helpers
      .run(Generator, SETTINGS)
      .withOptions(options({ skipGit: true, skipInstall: true }))
      .withAnswers({ name: 'orders', project: 'Bad Project', description: 'x', author: 'y', runtimeVersion: '^0.1.0' })
      .withSpawnMock(),
    { message: /project "Bad Project" is not kebab-case/ },
  );
});

/** Generates ./orders in a folder this test owns (yeoman-test deletes its own temporary folders between runs). */
async function generateInOwnDir(options: Record<string, unknown>): Promise<Repo> {
  const dir = mkdtempSync(join(tmpdir(), 'jworker-update-'));
  await helpers
    .run(Generator, { ...SETTINGS, tmpdir: false })
    .cd(dir)
    .withArguments(['orders'])
    .withOptions(options);
  return repo(join(dir, 'orders'));
}

test.serial('running again inside the repo updates managed files, keeps the worker code, merges package.json', async (t) => {
  const first = await generateInOwnDir({ ...BASE, description: 'Orders', author: 'Jane' });
  t.teardown(() => rmSync(join(first.dir, '..'), { recursive: true, force: true }));
  const dir = first.dir;
  writeFileSync(first.path('Dockerfile'), 'FROM scratch\n');
  writeFileSync(first.path('src/app/orders.worker.ts'), '// my code\n');
  const pkg = first.json<{ scripts: Record<string, string>; dependencies: Record<string, string> }>('package.json');
  writeFileSync(
    first.path('package.json'),
    JSON.stringify({
      ...pkg,
      version: '3.1.0',
      scripts: { ...pkg.scripts, extra: 'echo mine' },
      dependencies: { ...pkg.dependencies, got: '^14.0.0' },
    }),
  );

  const update = await helpers
    .run(Generator, { ...SETTINGS, tmpdir: false })
    .cd(dir)
    .withOptions(options({ skipGit: true, skipInstall: true, force: true, runtimeVersion: '^0.2.0' }));
  t.deepEqual(update.askedQuestions, [], 'every answer comes from .yo-rc.json');
  const updated = repo(dir);
  t.regex(updated.read('Dockerfile'), /USER node/, 'a managed file is regenerated');
  t.is(updated.read('src/app/orders.worker.ts'), '// my code\n', 'the worker code is left alone');
  const merged = updated.json<{
    version: string;
    description: string;
    scripts: Record<string, string>;
    dependencies: Record<string, string>;
  }>('package.json');
  t.is(merged.version, '3.1.0');
  t.is(merged.description, 'Orders');
  t.is(merged.scripts['extra'], 'echo mine');
  t.is(merged.dependencies['got'], '^14.0.0');
  t.is(merged.dependencies['jworker-runtime'], '^0.2.0');
  t.false(updated.exists('orders'), 'no nested ./orders folder');
});

test.serial("an update without --runtime-version asks nothing and moves the range to this generator's runtime", async (t) => {
  const first = await generateInOwnDir({ ...BASE, runtimeVersion: '^0.0.1' });
  t.teardown(() => rmSync(join(first.dir, '..'), { recursive: true, force: true }));
  // No --yes either: as a user runs `yo jworker` in the repo.
  const update = await helpers
    .run(Generator, { ...SETTINGS, tmpdir: false })
    .cd(first.dir)
    .withOptions(options({ skipGit: true, skipInstall: true, force: true }));
  t.deepEqual(update.askedQuestions, []);
  t.is(
    repo(first.dir).json<{ dependencies: Record<string, string> }>('package.json').dependencies['jworker-runtime'],
    `^${runtimeVersion()}`,
  );
});

test.serial('running inside a repo with another worker name is refused', async (t) => {
  const first = await generateInOwnDir(BASE);
  t.teardown(() => rmSync(join(first.dir, '..'), { recursive: true, force: true }));
  await t.throwsAsync(
    helpers
      .run(Generator, { ...SETTINGS, tmpdir: false })
      .cd(first.dir)
      .withArguments(['billing'])
      .withOptions(BASE),
    {
      message: /is the jworker repository of worker "orders".*run yo jworker without a name here to update it/,
    },
  );
});
