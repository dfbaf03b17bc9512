import { statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';

/** Everything derived from the worker name and the project label. */
export interface WorkerNames {
  /** The worker name, kebab-case: `email-sender`. Also the folder, the worker type and the file names. */
  readonly name: string;
  /** The project label, kebab-case: `acme`. */
  readonly project: string;
  /** The worker class: `EmailSenderWorker`. */
  readonly className: string;
  /** The prefix of the task and result types: `EmailSender` (`EmailSenderTask`, `EmailSenderResult`). */
  readonly typeName: string;
  /** The npm package name: `@acme/email-sender`. */
  readonly packageName: string;
  /** The work queue: `acme.email-sender`. */
  readonly queue: string;
  /** The Docker image name: `acme/email-sender`. */
  readonly image: string;
  /** The Docker Compose project name: `acme-email-sender`. */
  readonly composeProject: string;
}

const KEBAB = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
/** npm's limit for a whole package name, the scope included. */
const NPM_NAME_MAX = 214;

/**
 * Checks a worker name or project label. Returns the problem as a sentence naming the value and the fix,
 * or undefined when the value is fine.
 */
export function nameProblem(label: 'worker name' | 'project', value: unknown): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') {
    return label === 'worker name'
      ? 'the worker name is missing: give it as the first argument, e.g. yo jworker email-sender --project acme'
      : 'the project is missing: pass --project <project>, e.g. --project acme';
  }
  if (isAbsolute(value) || value.includes('/') || value.includes('\\') || value === '..') {
    return `${label} "${value}" is a path: nothing is written outside ./<name>; give a plain kebab-case name such as "email-sender"`;
  }
  if (!KEBAB.test(value)) {
    return `${label} "${value}" is not kebab-case: use lowercase letters, digits and single dashes, starting with a letter (e.g. "email-sender")`;
  }
  if (value.length > 100) return `${label} "${value}" is too long: at most 100 characters`;
  return undefined;
}

/** Derives every name from a valid worker name and project. */
export function deriveNames(name: string, project: string): WorkerNames {
  const typeName = name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
  const className = typeName.endsWith('Worker') ? typeName : `${typeName}Worker`;
  const packageName = `@${project}/${name}`;
  if (packageName.length > NPM_NAME_MAX) {
    throw new Error(
      `package name "${packageName}" is longer than npm allows (${NPM_NAME_MAX} characters): shorten the name or the project`,
    );
  }
  return {
    name,
    project,
    className,
    typeName: typeName.endsWith('Worker') && typeName !== 'Worker' ? typeName.slice(0, -'Worker'.length) : typeName,
    packageName,
    queue: `${project}.${name}`,
    image: `${project}/${name}`,
    composeProject: `${project}-${name}`,
  };
}

const COMPARATOR = /^(?:\^|~|>=|<=|>|<|=)?v?(?:\d+|x|X|\*)(?:\.(?:\d+|x|X|\*)){0,2}(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

/**
 * Checks a `--runtime-version` value and normalizes it: a semver range (`^0.1.0`, `>=0.1 <0.3`, `0.1.x`), a dist-tag
 * (`latest`, `next`), or `file:<path>` to a packed tarball, made absolute (relative to `cwd`); the generator then
 * copies that tarball into the generated repo (see vendor.ts).
 */
export function normalizeRuntimeVersion(value: string, cwd: string): { value: string } | { problem: string } {
  const trimmed = value.trim();
  if (trimmed.startsWith('file:')) {
    const path = trimmed.slice('file:'.length);
    if (path === '') return { problem: '--runtime-version "file:" has no path: give file:<path to a jworker-runtime .tgz>' };
    const absolute = resolve(cwd, path);
    try {
      if (statSync(absolute).isDirectory()) {
        return {
          problem: `--runtime-version "${trimmed}": ${absolute} is a folder; give a packed tarball instead (npm pack in jworker-runtime makes one)`,
        };
      }
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return {
        problem:
          code === 'ENOENT'
            ? `--runtime-version "${trimmed}": nothing at ${absolute}; pack the runtime first (npm pack in jworker-runtime)`
            : `--runtime-version "${trimmed}": cannot read ${absolute} (${code ?? 'unreadable'}); check its permissions`,
      };
    }
    return { value: `file:${absolute}` };
  }
  const isRange =
    trimmed !== '' &&
    trimmed.split('||').every((set) =>
      set
        .trim()
        .split(/\s+/)
        .every((c) => COMPARATOR.test(c)),
    );
  const isTag = /^[a-z][a-z0-9-]*$/.test(trimmed);
  if (!isRange && !isTag) {
    return {
      problem: `--runtime-version "${value}" is not a version range: expected e.g. ^0.1.0, a dist-tag such as latest, or file:<path to a packed jworker-runtime tarball>`,
    };
  }
  return { value: trimmed };
}

/** The default `--runtime-version`: a caret range on the runtime version this generator was built with. */
export function defaultRuntimeRange(runtimeVersion: string): string {
  return `^${runtimeVersion}`;
}

/** Throws unless `path` (relative to `root`) stays inside `root`: a guard on every file the generator writes. */
export function assertInside(root: string, path: string): string {
  const absolute = resolve(root, path);
  const rel = relative(root, absolute);
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) {
    throw new Error(`refusing to write ${absolute}: it is outside the worker folder ${root}`);
  }
  return absolute;
}
