import type { CliOptionSpec } from 'yeoman-generator';
import { DEFAULT_DEPLOY, type DeployTarget, parseDeploy } from './deploy.js';
import { defaultRuntimeRange, nameProblem, normalizeRuntimeVersion } from './naming.js';
import { normalizeDescription } from './text.js';

/** The answers that define a worker repository; stored in its `.yo-rc.json`. */
export interface Answers {
  readonly name: string;
  readonly project: string;
  readonly description: string;
  readonly author: string;
  /** The `jworker-runtime` dependency: a semver range, a dist-tag or `file:<absolute path>`. */
  readonly runtimeVersion: string;
  /** Where the worker is deployed (`--deploy compose,k8s`). */
  readonly deploy: readonly DeployTarget[];
}

/** What `.yo-rc.json` holds under `generator-jworker`. */
export interface StoredConfig extends Partial<Answers> {
  readonly generatorVersion?: string;
}

/** The command-line options, besides Yeoman's own (`--skip-install`, `--help`...). */
export const OPTION_SPECS: readonly CliOptionSpec[] = [
  {
    name: 'project',
    type: String,
    description: 'Project label: package scope (@<project>/<name>), queue prefix (<project>.<name>), image name',
  },
  { name: 'description', type: String, description: 'One line of plain text for package.json and the README (line breaks become spaces)' },
  { name: 'author', type: String, description: 'package.json author (default: your git user.name <user.email>)' },
  {
    name: 'runtime-version',
    type: String,
    description:
      'jworker-runtime dependency: a semver range (default: ^<the version this generator was built with>) or file:<packed tarball>',
  },
  {
    name: 'deploy',
    type: String,
    description: `Deployment targets, comma-separated: compose (docker-compose.prod.yml for a VPS), k8s (deploy/k8s/: kustomize, KEDA autoscaling). Default: ${DEFAULT_DEPLOY.join(',')}`,
  },
  { name: 'skip-git', type: Boolean, default: false, description: 'Do not run git init and make the first commit' },
  { name: 'yes', type: Boolean, alias: 'y', default: false, description: 'Never prompt: use defaults for every answer not given' },
  {
    name: 'force',
    type: Boolean,
    alias: 'f',
    default: false,
    description: 'Write into an existing non-empty folder, and overwrite changed files without asking',
  },
];

/** A question for Yeoman's prompt (an inquirer `input`). */
export interface Question {
  readonly type: 'input';
  readonly name: keyof Answers;
  readonly message: string;
  readonly default?: string;
  readonly validate?: (value: string) => true | string;
}

/** What {@link resolveAnswers} works from. */
export interface AnswerSources {
  /** The positional worker name, if given. */
  readonly name: string | undefined;
  /** Parsed options (Yeoman's `this.options`). */
  readonly options: Readonly<Record<string, unknown>>;
  /** Answers from an existing `.yo-rc.json` (update mode). */
  readonly stored: StoredConfig | undefined;
  /** Where relative `file:` paths are resolved. */
  readonly cwd: string;
  /** The runtime version bundled at build time. */
  readonly runtimeVersion: string;
  /** The default author, from git. */
  readonly defaultAuthor: string;
}

/** Reads an option given either kebab-case (`yo`) or camelCase (`yeoman-test`, `env.run`). */
export function readOption(options: Readonly<Record<string, unknown>>, name: string): unknown {
  const camel = name.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
  // Yeoman fills the declared spelling with its default (false, undefined): the other spelling may hold the real value.
  const values = [options[name], options[camel]];
  return (
    values.find((value) => value !== undefined && value !== null && value !== false && value !== '') ?? values.find((v) => v !== undefined)
  );
}

function stringOption(options: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const value = readOption(options, name);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new Error(`--${name} expects a value, e.g. --${name} <value>`);
  return value;
}

/** True when a boolean option is set. */
export function flag(options: Readonly<Record<string, unknown>>, name: string): boolean {
  return readOption(options, name) === true;
}

function defaultDescription(name: string): string {
  return `jworker worker ${name}: processes tasks from RabbitMQ`;
}

function runtimeProblem(value: string, cwd: string): string | true {
  const normalized = normalizeRuntimeVersion(value, cwd);
  return 'problem' in normalized ? normalized.problem : true;
}

/**
 * Settles every answer: options and stored answers first, then prompts for what is missing, or defaults with `--yes`.
 * Given values are checked before anything is asked, so a bad option fails at once.
 * @throws Error naming the bad value and the fix.
 */
export async function resolveAnswers(
  sources: AnswerSources,
  ask: (questions: Question[]) => Promise<Record<string, unknown>>,
): Promise<Answers> {
  const { options, stored, cwd } = sources;
  const given: Partial<Record<keyof Answers, string>> = {
    name: sources.name ?? stored?.name,
    project: stringOption(options, 'project') ?? stored?.project,
    description: stringOption(options, 'description') ?? stored?.description,
    author: stringOption(options, 'author') ?? stored?.author,
    // Not taken from .yo-rc.json: regenerating moves the range to this generator's runtime (the upgrade path).
    runtimeVersion: stringOption(options, 'runtime-version'),
    deploy: stringOption(options, 'deploy') ?? storedDeploy(stored),
  };
  failOnProblems(given, cwd);

  const defaults = {
    description: defaultDescription(given.name ?? 'worker'),
    author: sources.defaultAuthor,
    runtimeVersion: defaultRuntimeRange(sources.runtimeVersion),
    deploy: DEFAULT_DEPLOY.join(','),
  };
  const answered: Partial<Record<keyof Answers, string>> = { ...given };
  if (flag(options, 'yes')) {
    if (given.name === undefined) throw new Error(nameProblem('worker name', undefined));
    if (given.project === undefined) throw new Error(`${nameProblem('project', undefined)} (--yes never prompts)`);
    answered.description ??= defaults.description;
    answered.author ??= defaults.author;
    answered.runtimeVersion ??= defaults.runtimeVersion;
    answered.deploy ??= defaults.deploy;
  } else {
    const questions: Question[] = [];
    const validateName = (label: 'worker name' | 'project') => (value: string) => nameProblem(label, value) ?? true;
    if (given.name === undefined)
      questions.push({ type: 'input', name: 'name', message: 'Worker name (kebab-case)', validate: validateName('worker name') });
    if (given.project === undefined)
      questions.push({
        type: 'input',
        name: 'project',
        message: 'Project (package scope, queue prefix)',
        validate: validateName('project'),
      });
    if (given.description === undefined)
      questions.push({ type: 'input', name: 'description', message: 'Description', default: defaults.description });
    if (given.author === undefined) questions.push({ type: 'input', name: 'author', message: 'Author', default: defaults.author });
    // Updating (stored answers): the range moves to this generator's runtime without asking (see `given` above).
    if (given.runtimeVersion === undefined && stored === undefined)
      questions.push({
        type: 'input',
        name: 'runtimeVersion',
        message: 'jworker-runtime version range',
        default: defaults.runtimeVersion,
        validate: (value) => runtimeProblem(value, cwd),
      });
    if (given.deploy === undefined)
      questions.push({
        type: 'input',
        name: 'deploy',
        message: 'Deployment targets: compose (VPS), k8s (Kubernetes with KEDA), comma-separated',
        default: defaults.deploy,
        validate: (value) => deployProblem(value) ?? true,
      });
    const replies = questions.length > 0 ? await ask(questions) : {};
    for (const question of questions) {
      const reply = replies[question.name];
      answered[question.name] = typeof reply === 'string' && reply.trim() !== '' ? reply.trim() : question.default;
    }
    if (answered.description === undefined) answered.description = defaults.description;
    if (answered.author === undefined) answered.author = defaults.author;
  }
  if (answered.name === undefined) throw new Error(nameProblem('worker name', undefined));
  if (answered.project === undefined) throw new Error(nameProblem('project', undefined));
  failOnProblems(answered, cwd);
  const runtime = normalizeRuntimeVersion(answered.runtimeVersion ?? defaults.runtimeVersion, cwd);
  if ('problem' in runtime) throw new Error(runtime.problem);
  const description = normalizeDescription(answered.description ?? defaults.description);
  if ('problem' in description) throw new Error(description.problem);
  const deploy = parseDeploy(answered.deploy ?? defaults.deploy);
  if ('problem' in deploy) throw new Error(deploy.problem);
  return {
    name: answered.name as string,
    project: answered.project as string,
    description: description.value || defaults.description,
    author: answered.author ?? '',
    runtimeVersion: runtime.value,
    deploy: deploy.targets,
  };
}

/** The targets in `.yo-rc.json` (a list; a hand-edited string is read too). */
function storedDeploy(stored: StoredConfig | undefined): string | undefined {
  const value: unknown = stored?.deploy;
  if (Array.isArray(value)) return value.join(',');
  return typeof value === 'string' ? value : undefined;
}

function deployProblem(value: string): string | undefined {
  const parsed = parseDeploy(value);
  return 'problem' in parsed ? parsed.problem : undefined;
}

function failOnProblems(values: Partial<Record<keyof Answers, string>>, cwd: string): void {
  const problems: string[] = [];
  if (values.name !== undefined) problems.push(nameProblem('worker name', values.name) ?? '');
  if (values.project !== undefined) problems.push(nameProblem('project', values.project) ?? '');
  if (values.runtimeVersion !== undefined) {
    const problem = runtimeProblem(values.runtimeVersion, cwd);
    if (problem !== true) problems.push(problem);
  }
  if (values.deploy !== undefined) problems.push(deployProblem(values.deploy) ?? '');
  if (values.description !== undefined) {
    const description = normalizeDescription(values.description);
    if ('problem' in description) problems.push(description.problem);
  }
  const found = problems.filter((problem) => problem !== '');
  if (found.length > 0) throw new Error(found.join('\n'));
}
