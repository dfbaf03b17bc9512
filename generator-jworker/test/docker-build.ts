import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, posix, relative } from 'node:path';

// What `docker build` would do with a generated Dockerfile, without Docker (none runs on the test machines): each
// stage gets a folder of its own as its file system; COPY copies from the build context, minus what .dockerignore
// excludes, or from an earlier stage; RUN runs on this machine (its Node.js stands in for the base image); ENV, WORKDIR,
// USER, CMD are recorded. Operating-system package installs (apk, apt-get) are skipped and listed: they add tini,
// which only forwards signals. A COPY of something missing from the context fails as it would in Docker.

/** The image the last stage describes. */
export interface EmulatedImage {
  /** The WORKDIR of the last stage, as a folder on this machine. */
  readonly workdir: string;
  /** ENV of the last stage. */
  readonly env: Readonly<Record<string, string>>;
  readonly user: string | undefined;
  readonly cmd: readonly string[];
  readonly healthcheck: readonly string[] | undefined;
  /** Instructions that were not carried out here, as written. */
  readonly skipped: readonly string[];
}

export interface BuildOptions {
  readonly dockerfile: string;
  /** The build context: the folder `docker build .` runs in. */
  readonly context: string;
  /** Where the stages' file systems go. */
  readonly root: string;
  /** Runs one RUN command (`sh -c`) in a folder with the stage's environment. */
  readonly run: (command: string, cwd: string, env: Readonly<Record<string, string>>) => Promise<unknown>;
}

interface Instruction {
  readonly keyword: string;
  readonly args: string;
  readonly text: string;
}

/** The instructions of a Dockerfile: comments and blank lines dropped, `\` continuations joined. */
export function instructions(dockerfile: string): Instruction[] {
  const joined = dockerfile.replace(/\\\r?\n/g, ' ');
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((text) => {
      const match = /^(\S+)\s*(.*)$/.exec(text);
      return { keyword: (match?.[1] ?? '').toUpperCase(), args: match?.[2] ?? '', text };
    });
}

/** The patterns of a .dockerignore, and whether they exclude a context path (Docker's rules: last match wins). */
export function dockerignore(text: string): (path: string) => boolean {
  const rules = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const negated = line.startsWith('!');
      const pattern = posix.normalize((negated ? line.slice(1) : line).replace(/^\/+/, ''));
      return { negated, regex: globRegex(pattern) };
    });
  return (path) => {
    // A pattern that matches a folder excludes everything below it.
    const candidates = path.split('/').map((_, index, parts) => parts.slice(0, index + 1).join('/'));
    let excluded = false;
    for (const { negated, regex } of rules) if (candidates.some((candidate) => regex.test(candidate))) excluded = !negated;
    return excluded;
  };
}

/** Go's filepath.Match plus Docker's `**`, anchored at the context root. */
function globRegex(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] ?? '';
    if (char === '*' && pattern[i + 1] === '*') {
      source += '.*';
      i++;
      if (pattern[i + 1] === '/') i++;
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

function jsonArray(args: string, what: string): string[] {
  const parsed = JSON.parse(args) as unknown;
  if (!Array.isArray(parsed) || !parsed.every((part) => typeof part === 'string'))
    throw new Error(`${what} ${args}: expected a JSON array of strings`);
  return parsed;
}

/** `KEY=value KEY2="value 2"` pairs of an ENV instruction. */
function envPairs(args: string): Array<[string, string]> {
  return [...args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)/g)].map((match) => {
    const value = match[2] ?? '';
    return [match[1] ?? '', value.startsWith('"') ? (JSON.parse(value) as string) : value];
  });
}

/** Carries out every stage of `options.dockerfile`; returns the last stage's image. */
export async function emulateDockerBuild(options: BuildOptions): Promise<EmulatedImage> {
  const ignorePath = join(options.context, '.dockerignore');
  const ignored = dockerignore(existsSync(ignorePath) ? readFileSync(ignorePath, 'utf8') : '');
  const stages = new Map<string, string>();
  const skipped: string[] = [];
  let stage: { root: string; workdir: string; env: Record<string, string>; user?: string } | undefined;
  let cmd: string[] = [];
  let healthcheck: string[] | undefined;

  for (const { keyword, args, text } of instructions(options.dockerfile)) {
    if (keyword === 'FROM') {
      const match = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      const root = join(options.root, `stage-${stages.size}`);
      mkdirSync(root, { recursive: true });
      stages.set(match?.[2] ?? String(stages.size), root);
      stage = { root, workdir: root, env: {} };
      cmd = [];
      healthcheck = undefined;
      continue;
    }
    if (!stage) throw new Error(`${text}: before any FROM`);
    const inStage = (path: string) => (isAbsolute(path) ? join(stage?.root ?? '', path) : join(stage?.workdir ?? '', path));
    switch (keyword) {
      case 'WORKDIR':
        stage.workdir = inStage(args);
        mkdirSync(stage.workdir, { recursive: true });
        break;
      case 'ENV':
        for (const [key, value] of envPairs(args)) stage.env[key] = value;
        break;
      case 'COPY': {
        const parts = args.split(/\s+/);
        const from = parts.find((part) => part.startsWith('--from='))?.slice('--from='.length);
        const paths = parts.filter((part) => !part.startsWith('--'));
        const dest = paths.pop() ?? '';
        const sources = paths;
        const target = inStage(dest);
        const intoFolder = dest.endsWith('/') || sources.length > 1;
        for (const source of sources) {
          if (from !== undefined) {
            const stageRoot = stages.get(from);
            if (!stageRoot) throw new Error(`${text}: no stage ${from}`);
            copyInto(join(stageRoot, source), intoFolder ? join(target, posix.basename(source)) : target, () => false);
          } else {
            const clean = posix.normalize(source).replace(/^\.\//, '');
            if (!existsSync(join(options.context, clean)) || ignored(clean)) {
              throw new Error(`${text}: ${source} is not in the build context${ignored(clean) ? ' (.dockerignore excludes it)' : ''}`);
            }
            const exclude = (path: string) => ignored(relative(options.context, path).split('\\').join('/'));
            copyInto(join(options.context, clean), intoFolder ? join(target, posix.basename(clean)) : target, exclude);
          }
        }
        break;
      }
      case 'RUN':
        if (/^(apk|apt-get)\s/.test(args)) skipped.push(text);
        else await options.run(args, stage.workdir, stage.env);
        break;
      case 'USER':
        stage.user = args;
        break;
      case 'CMD':
        cmd = jsonArray(args, 'CMD');
        break;
      case 'HEALTHCHECK': {
        const json = /\bCMD\s+(\[.*\])\s*$/.exec(args)?.[1];
        healthcheck = json ? jsonArray(json, 'HEALTHCHECK CMD') : undefined;
        break;
      }
      case 'ENTRYPOINT':
      case 'EXPOSE':
      case 'ARG':
      case 'LABEL':
        skipped.push(text);
        break;
      default:
        throw new Error(`${text}: the emulation does not know ${keyword}`);
    }
  }
  if (!stage) throw new Error('the Dockerfile has no FROM');
  return { workdir: stage.workdir, env: stage.env, user: stage.user, cmd, healthcheck, skipped };
}

/** Copies a file, or a folder's contents, to `target`, leaving out what `exclude` says. */
function copyInto(source: string, target: string, exclude: (path: string) => boolean): void {
  if (!statSync(source).isDirectory()) {
    mkdirSync(dirname(target), { recursive: true });
    cpSync(source, target);
    return;
  }
  mkdirSync(target, { recursive: true });
  for (const entry of readdirSync(source)) {
    const path = join(source, entry);
    if (!exclude(path)) cpSync(path, join(target, entry), { recursive: true, filter: (file) => !exclude(file) });
  }
}
