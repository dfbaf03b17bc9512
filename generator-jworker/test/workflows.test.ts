import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import YAML from 'yaml';
import { generate } from './generate.js';
import { PACKAGE_DIR } from './helpers.js';

// Every GitHub workflow: this repository's own and the one every generated repository gets.

const OWN = join(PACKAGE_DIR, '..', '.github', 'workflows');

interface Workflow {
  readonly permissions?: unknown;
  readonly jobs: Record<string, { readonly permissions?: Record<string, string> }>;
}

/** [label, text] of every workflow to check. */
async function workflows(): Promise<Array<[string, string]>> {
  const own = readdirSync(OWN)
    .filter((file) => /\.ya?ml$/.test(file))
    .map((file): [string, string] => [`.github/workflows/${file}`, readFileSync(join(OWN, file), 'utf8')]);
  const { repo } = await generate(['orders']);
  return [...own, ['generated .github/workflows/ci.yml', repo.read('.github/workflows/ci.yml')]];
}

test.serial('every workflow gives its jobs read access to the repository by default, and nothing more', async (t) => {
  for (const [label, text] of await workflows()) {
    const workflow = YAML.parse(text) as Workflow;
    t.deepEqual(workflow.permissions, { contents: 'read' }, `${label}: permissions at the top`);
    for (const [name, job] of Object.entries(workflow.jobs)) {
      // A job that needs more says so itself, and keeps contents: read (a job's permissions replace the top ones).
      if (job.permissions !== undefined) t.is(job.permissions['contents'], 'read', `${label}: job ${name} reads contents`);
    }
  }
});
