// biome-ignore-all lint/suspicious/noTemplateCurlyInString: GitHub Actions expressions are ${{ }} inside plain strings.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ValidationError, validateWorkflow } from '@action-validator/core';
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import test from 'ava';
import YAML from 'yaml';
import { BASE, generate } from './generate.js';
import { PACKAGE_DIR } from './helpers.js';

// Every GitHub workflow: this repository's own and the one every generated repository gets.

const OWN = join(PACKAGE_DIR, '..', '.github', 'workflows');

interface Step {
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Record<string, string | boolean>;
}

interface Job {
  readonly if?: string;
  readonly needs?: string | string[];
  readonly permissions?: Record<string, string>;
  readonly steps: readonly Step[];
}

interface Workflow {
  readonly on: { push: { branches: string[]; tags?: string[] }; pull_request: unknown };
  readonly permissions?: unknown;
  readonly env?: Record<string, string>;
  readonly jobs: Record<string, Job>;
}

/** [label, text] of every workflow to check: ours, and the generated one with each deployment target. */
async function workflows(): Promise<Array<[string, string]>> {
  const own = readdirSync(OWN)
    .filter((file) => /\.ya?ml$/.test(file))
    .map((file): [string, string] => [`.github/workflows/${file}`, readFileSync(join(OWN, file), 'utf8')]);
  const generated = await generate(['orders'], { ...BASE, deploy: 'compose,k8s' });
  return [...own, ['generated .github/workflows/ci.yml', generated.repo.read('.github/workflows/ci.yml')]];
}

/** The innermost errors of a schema verdict, where the reason is. */
function leaves(error: ValidationError): string[] {
  const nested = 'states' in error ? (error.states ?? []).flatMap((state) => state.errors.flatMap(leaves)) : [];
  if (nested.length > 0) return nested;
  return [`${'path' in error ? error.path : ''} ${error.detail ?? error.title}`.trim()];
}

/**
 * What is wrong with a workflow: against the workflow schema (action-validator: keys, values, needs) and GitHub's own
 * parser (expressions, and the contexts each place may use). The generated repo's test/workflows.test.ts does the same.
 */
async function workflowProblems(label: string, content: string): Promise<string[]> {
  const schema = validateWorkflow(content).errors.flatMap(leaves);
  const parsed = parseWorkflow({ name: label, content }, new NoOperationTraceWriter());
  const github =
    parsed.value === undefined
      ? parsed.context.errors.getErrors().map((error) => error.message)
      : ((await convertWorkflowTemplate(parsed.context, parsed.value)).errors ?? []).map((error) => error.Message);
  return [...new Set([...schema, ...github])];
}

test('the workflow check finds a misspelled key, a context used where it is not available, and an unknown job', async (t) => {
  const broken = [
    'on: push',
    'permissions: { contents: reed }',
    'jobs:',
    '  a:',
    "    if: ${{ env.X == 'x' }}",
    '    runs-on: ubuntu-latest',
    '    steps: [{ uses: actions/checkout@v4, wiht: {} }]',
    '  b: { needs: c, runs-on: ubuntu-latest, steps: [{ run: echo }] }',
  ].join('\n');
  const problems = (await workflowProblems('broken.yml', broken)).join('\n');
  for (const expected of [
    /Unexpected value 'reed'/,
    /Unrecognized named-value: 'env'/,
    /Additional property 'wiht' is not allowed/,
    /unresolved job c/,
  ])
    t.regex(problems, expected);
});

test.serial('every workflow, ours and the generated one, is one GitHub Actions accepts', async (t) => {
  for (const [label, text] of await workflows()) t.deepEqual(await workflowProblems(label, text), [], label);
});

/** Jobs that write to the repository, and why: the release pushes the version branch and the release tags. */
const CONTENTS_WRITERS = new Set(['.github/workflows/release.yml: release']);

test.serial('every workflow gives its jobs read access to the repository by default, and nothing more', async (t) => {
  for (const [label, text] of await workflows()) {
    const workflow = YAML.parse(text) as Workflow;
    t.deepEqual(workflow.permissions, { contents: 'read' }, `${label}: permissions at the top`);
    for (const [name, job] of Object.entries(workflow.jobs)) {
      // A job that needs more says so itself, and keeps contents: read (a job's permissions replace the top ones).
      const contents = CONTENTS_WRITERS.has(`${label}: ${name}`) ? 'write' : 'read';
      if (job.permissions !== undefined) t.is(job.permissions['contents'], contents, `${label}: job ${name} ${contents}s contents`);
    }
  }
});

test.serial('the generated CI builds the image on pull requests and publishes it to GHCR from main and version tags', async (t) => {
  const { repo } = await generate(['orders']);
  const ci = repo.yaml<Workflow>('.github/workflows/ci.yml');
  t.deepEqual(ci.on.push, { branches: ['main'], tags: ['v*.*.*'] });
  t.deepEqual(ci.env, {
    IMAGE_REGISTRY: "${{ vars.IMAGE_REGISTRY || 'ghcr.io' }}",
    IMAGE_NAME: '${{ vars.IMAGE_NAME || github.repository }}',
  });
  const step = (job: Job | undefined, action: string) => job?.steps.find((candidate) => candidate.uses?.startsWith(`${action}@`));

  // Pull requests: built, never pushed, and no write permission at all.
  const image = ci.jobs['image'];
  t.is(image?.if, "github.event_name == 'pull_request'");
  t.is(image?.needs, 'test');
  t.is(image?.permissions, undefined, 'the top-level contents: read only');
  t.like(step(image, 'docker/build-push-action')?.with, { push: false });
  t.is(step(image, 'docker/login-action'), undefined, 'no login');

  // Pushes: logged in, pushed with tags from git, an SBOM and provenance; packages: write here only.
  const publish = ci.jobs['publish'];
  t.is(publish?.if, "github.event_name == 'push'");
  t.is(publish?.needs, 'test');
  t.deepEqual(publish?.permissions, { contents: 'read', packages: 'write' });
  const writers = Object.entries(ci.jobs).filter(([, job]) => job.permissions?.['packages'] === 'write');
  t.deepEqual(
    writers.map(([name]) => name),
    ['publish'],
  );
  t.like(step(publish, 'docker/login-action')?.with, { registry: '${{ env.IMAGE_REGISTRY }}' });
  const meta = step(publish, 'docker/metadata-action')?.with ?? {};
  t.is(meta['images'], '${{ env.IMAGE_REGISTRY }}/${{ env.IMAGE_NAME }}');
  t.is(meta['flavor'], 'latest=false', 'latest comes from main only, not from every version tag');
  t.deepEqual(String(meta['tags']).trim().split('\n'), [
    'type=sha',
    'type=semver,pattern={{version}}',
    'type=semver,pattern={{major}}.{{minor}}',
    'type=raw,value=latest,enable={{is_default_branch}}',
  ]);
  t.like(step(publish, 'docker/build-push-action')?.with, {
    push: true,
    tags: '${{ steps.meta.outputs.tags }}',
    sbom: true,
    provenance: 'mode=max',
  });
});

test.serial('the docker actions of the generated CI are pinned to a commit, with the version it is', async (t) => {
  const { repo } = await generate(['orders']);
  const text = repo.read('.github/workflows/ci.yml');
  const docker = [...text.matchAll(/uses: (docker\/[\w-]+)@(\S+)(.*)$/gm)];
  t.deepEqual(
    new Set(docker.map(([, action]) => action)),
    new Set(['docker/setup-buildx-action', 'docker/metadata-action', 'docker/build-push-action', 'docker/login-action']),
  );
  for (const [line, , ref, comment] of docker) {
    t.regex(ref ?? '', /^[0-9a-f]{40}$/, line);
    t.regex(comment ?? '', /^ # v\d+\.\d+\.\d+$/, line);
  }
  // One version of each action in the whole file.
  const versions = new Map<string, Set<string>>();
  for (const [, action, ref] of docker) versions.set(action ?? '', (versions.get(action ?? '') ?? new Set()).add(ref ?? ''));
  for (const [action, refs] of versions) t.is(refs.size, 1, action);
});
