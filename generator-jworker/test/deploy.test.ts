import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import helpers from 'yeoman-test';
import { K8S_MANIFESTS, parseDeploy } from '../src/app/deploy.js';
import { BASE, Generator, generate, options, rejectsWith, SETTINGS } from './generate.js';
import { PACKAGE_DIR, type Repo, repo } from './helpers.js';

// --deploy: which deployment files a generated repo gets, and the checks that ship with them.

const ROOT = join(PACKAGE_DIR, '..');
const K8S = { ...BASE, deploy: 'compose,k8s' };

type Package = { devDependencies: Record<string, string> };

test('--deploy takes compose and k8s, comma- or space-separated, and refuses anything else by name', (t) => {
  t.deepEqual(parseDeploy('k8s,compose'), { targets: ['compose', 'k8s'] });
  t.deepEqual(parseDeploy(' K8s  k8s '), { targets: ['k8s'] });
  t.deepEqual(parseDeploy('compose,helm,swarm'), {
    problem:
      '--deploy "compose,helm,swarm" has "helm", "swarm": give one or more of compose, k8s, comma-separated (e.g. --deploy compose,k8s)',
  });
  t.regex((parseDeploy(' , ') as { problem: string }).problem, /names no target/);
});

test.serial(
  'by default a repo is deployed with compose: docker-compose.prod.yml, no deploy/k8s, no Kubernetes test dependencies',
  async (t) => {
    const { repo } = await generate(['orders']);
    t.true(repo.exists('docker-compose.prod.yml'));
    t.true(repo.exists('docker-compose.yml'));
    t.false(repo.exists('deploy/k8s/kustomization.yaml'));
    t.false(repo.exists('test/deploy.test.ts'));
    t.false('kubernetes-models' in repo.json<Package>('package.json').devDependencies);
    t.like(repo.json('.yo-rc.json'), { 'generator-jworker': { deploy: ['compose'] } });
  },
);

test.serial('--deploy compose,k8s adds the kustomize base, its test and the schema packages it checks with', async (t) => {
  const { repo } = await generate(['orders'], K8S);
  for (const manifest of K8S_MANIFESTS) t.true(repo.exists(`deploy/k8s/${manifest}`), manifest);
  t.true(repo.exists('docker-compose.prod.yml'));
  t.true(repo.exists('test/deploy.test.ts'));
  const dev = repo.json<Package>('package.json').devDependencies;
  for (const tool of ['kubernetes-models', '@kubernetes-models/keda', '@actions/workflow-parser', 'yaml']) t.truthy(dev[tool], tool);
  t.like(repo.json('.yo-rc.json'), { 'generator-jworker': { deploy: ['compose', 'k8s'] } });
});

test.serial('--deploy k8s alone writes no docker-compose.prod.yml; docker-compose.yml for development stays', async (t) => {
  const { repo } = await generate(['orders'], { ...BASE, deploy: 'k8s' });
  t.false(repo.exists('docker-compose.prod.yml'));
  t.true(repo.exists('docker-compose.yml'));
  t.true(repo.exists('deploy/k8s/scaledobject.yaml'));
});

test.serial('a --deploy with an unknown target is refused before anything is written', async (t) => {
  const message = await rejectsWith(['orders'], { ...BASE, deploy: 'compose,helm' }, /--deploy "compose,helm" has "helm"/);
  t.regex(message, /one or more of compose, k8s/);
});

/** Generates inside this package (under .tmp/, git- and lint-ignored), where the workspace's node_modules resolve. */
async function generateInWorkspace(t: ExecutionContext, name: string, given: Record<string, unknown>): Promise<Repo> {
  mkdirSync(join(PACKAGE_DIR, '.tmp'), { recursive: true });
  const dir = mkdtempSync(join(PACKAGE_DIR, '.tmp', 'deploy-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  await helpers
    .run(Generator, { ...SETTINGS, tmpdir: false })
    .cd(dir)
    .withArguments([name])
    .withOptions(options(given));
  return repo(join(dir, name));
}

test.serial('an update with --deploy compose,k8s adds Kubernetes to a compose repo and keeps it in .yo-rc.json', async (t) => {
  const first = await generateInWorkspace(t, 'orders', BASE);
  t.false(first.exists('deploy/k8s/scaledobject.yaml'));
  await helpers
    .run(Generator, { ...SETTINGS, tmpdir: false })
    .cd(first.dir)
    .withOptions(options({ skipGit: true, skipInstall: true, force: true, deploy: 'compose,k8s' }));
  t.true(first.exists('deploy/k8s/scaledobject.yaml'));
  t.like(first.json('.yo-rc.json'), { 'generator-jworker': { deploy: ['compose', 'k8s'] } });
  t.truthy(first.json<Package>('package.json').devDependencies['kubernetes-models']);
});

/** Runs test files of a generated repo with the workspace's ava (its package.json configures ava, tsx and the rest). */
function runGeneratedTests(generated: Repo, files: readonly string[]): Promise<{ passed: boolean; output: string }> {
  const ava = join(ROOT, 'node_modules', 'ava', 'entrypoints', 'cli.mjs');
  return new Promise((resolve) => {
    execFile(process.execPath, [ava, '--timeout=2m', ...files], { cwd: generated.dir, timeout: 180_000 }, (error, stdout, stderr) =>
      resolve({ passed: error === null, output: `${stdout}\n${stderr}` }),
    );
  });
}

test.serial("the generated repo's deploy and workflow tests pass, and fail on a manifest that disagrees with the worker", async (t) => {
  const generated = await generateInWorkspace(t, 'orders', K8S);
  const files = ['test/deploy.test.ts', 'test/workflows.test.ts'];
  const clean = await runGeneratedTests(generated, files);
  t.true(clean.passed, clean.output);
  t.regex(clean.output, /1[0-9] tests passed/);

  // Three mistakes a hand edit makes: another queue for KEDA, a misspelled field, a probe path the worker does not serve.
  const edit = (file: string, from: string, to: string) => {
    const text = generated.read(file);
    if (!text.includes(from)) throw new Error(`${file} has no ${from}`);
    writeFileSync(generated.path(file), text.replace(from, to));
  };
  edit('deploy/k8s/scaledobject.yaml', 'queueName: acme.orders', 'queueName: acme.order');
  edit('deploy/k8s/deployment.yaml', 'readinessProbe:', 'readinesProbe:');
  edit('deploy/k8s/deployment.yaml', 'path: /healthz', 'path: /health');
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a template.
  edit('.github/workflows/ci.yml', "if: github.event_name == 'pull_request'", "if: ${{ env.IMAGE_NAME != '' }}");
  const broken = await runGeneratedTests(generated, files);
  t.false(broken.passed);
  for (const failure of [
    /✘ \[fail\]: deploy › every manifest .* no unknown field[^\n]*\n[\s\S]*readinesProbe is not a field the schema knows/,
    /✘ \[fail\]: deploy › KEDA measures the queue the worker consumes/,
    /✘ \[fail\]: deploy › the worker, configured from the ConfigMap, answers the probes on their paths/,
    /✘ \[fail\]: workflows › every workflow in \.github\/workflows is one GitHub Actions accepts[\s\S]*Unrecognized named-value: \\?'env/,
  ])
    t.regex(broken.output, failure);
});

test.serial('docs/deployment.md shows the manifests and the image jobs as the generator writes them', async (t) => {
  const { repo } = await generate(['email-sender'], { ...K8S, project: 'jupiter' });
  const docs = readFileSync(join(ROOT, 'docs', 'deployment.md'), 'utf8');
  const shown: string[] = [];
  // A block whose first line is "# <generated file>" shows that file whole; "# <file> (excerpt)" a part of it, as is.
  for (const [, body] of docs.matchAll(/^```ya?ml\n([\s\S]*?)^```$/gm)) {
    const [first, ...rest] = (body ?? '').split('\n');
    const match = /^# (\S+)( \(excerpt\))?$/.exec(first ?? '');
    if (!match?.[1] || !repo.exists(match[1])) continue;
    const text = rest.join('\n');
    if (match[2]) t.true(repo.read(match[1]).includes(text), `the excerpt of ${match[1]} is in the generated file`);
    else t.is(text, repo.read(match[1]), `${match[1]} is shown as generated`);
    shown.push(match[1]);
  }
  for (const file of ['deploy/k8s/deployment.yaml', 'deploy/k8s/scaledobject.yaml', '.github/workflows/ci.yml'])
    t.true(shown.includes(file), `docs/deployment.md shows ${file}`);
});
