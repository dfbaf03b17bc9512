import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Generator, { type BaseFeatures, type BaseOptions } from 'yeoman-generator';
import { deployFiles, K8S } from './deploy.js';
import { fileList } from './files.js';
import { assertInside, deriveNames, type WorkerNames } from './naming.js';
import { type Answers, flag, OPTION_SPECS, type Question, resolveAnswers, type StoredConfig } from './options.js';
import { managedPackageFields, newPackageJson } from './package-json.js';
import { generatorVersion, runtimeInfo } from './runtime-info.js';
import { commentText, markdownText } from './text.js';
import { type VendoredRuntime, vendoredRuntime } from './vendor.js';
import { NODE, RABBITMQ_IMAGE } from './versions.js';

/** Templates live beside `src/` and `generators/`, kept out of tsc (`templates/*.ejs`). */
const TEMPLATES = fileURLToPath(new URL('../../templates', import.meta.url));
/** The key of this generator's answers in `.yo-rc.json` (its package name). */
const CONFIG_KEY = 'generator-jworker';

/**
 * `yo jworker <name> --project <project>`: creates ./<name>, an independent worker repository on jworker-runtime.
 * Run as `yo jworker` inside a generated repository, it regenerates the managed files from `.yo-rc.json`.
 */
export default class JworkerGenerator extends Generator {
  #mode: 'create' | 'update' = 'create';
  #stored: StoredConfig | undefined;
  #answers: Answers | undefined;
  #names: WorkerNames | undefined;
  #vendored: VendoredRuntime | undefined;

  constructor(args?: string[], options?: BaseOptions, features?: BaseFeatures) {
    // The install and the commit are ours: npm must run in ./<name> (not where yo started), and before the first commit.
    super(args, options, { ...features, customInstallTask: true, tasksMatchingPriority: true });
    this.argument('name', { type: String, required: false, description: 'Worker name, kebab-case; the repository is created in ./<name>' });
    for (const spec of OPTION_SPECS) {
      this.option({ ...spec, description: spec.description?.replace('RUNTIME_VERSION', runtimeInfo().version) });
    }
    this.sourceRoot(TEMPLATES);
  }

  initializing(): void {
    const cwd = this.destinationRoot();
    this.#stored = readStoredConfig(cwd);
    const given = this.#givenName();
    if (this.#stored?.name !== undefined) {
      if (given !== undefined && given !== this.#stored.name) {
        throw new Error(
          `${cwd} is the jworker repository of worker "${this.#stored.name}" (.yo-rc.json): run yo jworker without a name here to update it, or run yo jworker ${given} from another folder to create a new worker`,
        );
      }
      this.#mode = 'update';
    }
  }

  async prompting(): Promise<void> {
    const cwd = this.destinationRoot();
    const answers = await resolveAnswers(
      {
        name: this.#givenName(),
        options: this.options,
        stored: this.#stored,
        cwd,
        runtimeVersion: runtimeInfo().version,
        defaultAuthor: await this.#gitAuthor(),
      },
      (questions: Question[]) => this.prompt(questions.map((question) => ({ ...question }))),
    );
    const names = deriveNames(answers.name, answers.project);
    if (this.#mode === 'create') {
      const target = resolve(cwd, answers.name);
      assertInside(cwd, answers.name);
      refuseNonEmpty(target, answers.name, flag(this.options, 'force'));
      this.destinationRoot(target);
    }
    // A file: tarball is copied into the repo and depended on there: a fresh clone, the image and CI can install it.
    this.#vendored = vendoredRuntime(answers.runtimeVersion);
    this.#answers = this.#vendored ? { ...answers, runtimeVersion: this.#vendored.dependency } : answers;
    this.#names = names;
  }

  configuring(): void {
    const stored: StoredConfig = { ...this.#require().answers, generatorVersion: generatorVersion() };
    this.config.set(stored as unknown as Record<string, unknown>);
  }

  writing(): void {
    const { answers, names } = this.#require();
    const root = this.destinationRoot();
    const info = runtimeInfo();
    const context = {
      ...names,
      description: answers.description,
      author: answers.author,
      runtimeVersion: answers.runtimeVersion,
      envVariables: Object.entries(info.envVariables),
      node: NODE,
      rabbitmqImage: RABBITMQ_IMAGE,
      vendoredRuntime: this.#vendored?.destination,
      metricsPort: 9464,
      generatorVersion: generatorVersion(),
      // Free text is embedded through these: a description may hold */, markup or anything else.
      commentText,
      markdownText,
      deploy: { compose: answers.deploy.includes('compose'), k8s: answers.deploy.includes('k8s') },
      k8s: K8S,
    };
    for (const file of [...fileList(names), ...deployFiles(answers.deploy)]) {
      const destination = assertInside(root, file.destination);
      // Scaffolded code belongs to the worker's authors once written: an update never touches it.
      if (file.kind === 'scaffold' && this.#mode === 'update' && this.fs.exists(destination)) continue;
      this.fs.copyTpl(this.templatePath(file.template), destination, context);
    }
    if (this.#vendored) this.fs.copy(this.#vendored.source, assertInside(root, this.#vendored.destination));
    const packageJson = assertInside(root, 'package.json');
    if (this.#mode === 'update' && this.fs.exists(packageJson)) this.fs.extendJSON(packageJson, managedPackageFields(answers));
    else this.fs.writeJSON(packageJson, newPackageJson(answers, names));
  }

  async install(): Promise<void> {
    if (flag(this.options, 'skip-install')) return;
    const root = this.destinationRoot();
    this.log(`\nRunning npm install in ${root}`);
    try {
      await this.spawn('npm', ['install', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
    } catch (error) {
      throw new Error(
        `npm install failed in ${root} (${(error as Error).message.split('\n')[0]}); the files are written: fix the cause and run npm install there`,
      );
    }
  }

  async end(): Promise<void> {
    const { names } = this.#require();
    const root = this.destinationRoot();
    if (!flag(this.options, 'skip-git')) await this.#commit(root);
    const next = [`cd ${names.name}`, ...(flag(this.options, 'skip-install') ? ['npm install'] : []), 'cp .env.example .env'];
    this.log(
      this.#mode === 'create'
        ? `\nCreated ${names.packageName} in ${root}, consuming from queue ${names.queue}.\nNext: ${[...next, 'docker compose up -d rabbitmq', 'npm run dev'].join(' && ')}`
        : `\nUpdated ${names.packageName} from generator-jworker ${generatorVersion()}. Review with git diff, then npm install && npm test.`,
    );
  }

  #givenName(): string | undefined {
    const name = (this.options as Record<string, unknown>)['name'];
    return typeof name === 'string' && name !== '' ? name : undefined;
  }

  #require(): { answers: Answers; names: WorkerNames } {
    if (!this.#answers || !this.#names) throw new Error('generator-jworker: answers are not resolved yet (prompting did not run)');
    return { answers: this.#answers, names: this.#names };
  }

  async #gitAuthor(): Promise<string> {
    try {
      const [name, email] = await Promise.all([this.git.name(), this.git.email()]);
      if (!name) return '';
      return email ? `${name} <${email}>` : name;
    } catch {
      return '';
    }
  }

  async #commit(root: string): Promise<void> {
    if (this.#mode === 'update' && existsSync(join(root, '.git'))) {
      this.log('Not committing an update: review the changes with git diff and commit them yourself.');
      return;
    }
    const git = (args: string[]) => this.spawn('git', args, { cwd: root, stdio: 'pipe' });
    try {
      if (!existsSync(join(root, '.git'))) {
        await git(['init', '-q']);
        await git(['symbolic-ref', 'HEAD', 'refs/heads/main']);
      }
      await git(['add', '-A']);
      await git(['commit', '-q', '-m', `Create the ${this.#require().names.name} worker with generator-jworker ${generatorVersion()}`]);
    } catch (error) {
      const detail = ((error as { stderr?: string }).stderr ?? (error as Error).message).trim().split('\n').slice(-3).join(' ');
      this.log(`git: could not make the first commit in ${root} (${detail}). The files are written; commit them yourself.`);
    }
  }
}

/** This generator's answers from `<dir>/.yo-rc.json`, if it holds any. */
function readStoredConfig(dir: string): StoredConfig | undefined {
  const path = join(dir, '.yo-rc.json');
  if (!existsSync(path)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`${path} is not valid JSON (${(error as Error).message}): fix or remove it`);
  }
  const stored = (parsed as Record<string, unknown> | null)?.[CONFIG_KEY];
  return typeof stored === 'object' && stored !== null ? (stored as StoredConfig) : undefined;
}

function refuseNonEmpty(target: string, name: string, force: boolean): void {
  if (!existsSync(target) || force) return;
  const entries = readdirSync(target);
  if (entries.length > 0) {
    throw new Error(
      `./${name} already exists and is not empty (${entries.length} entries: ${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', …' : ''}): choose another name, empty the folder, or pass --force to write into it`,
    );
  }
}
