import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

/** The built generator, as yo loads it (`npm run build` first; the test script does). */
export const GENERATOR = fileURLToPath(new URL('../generators/app/index.js', import.meta.url));
/** The generator package folder. */
export const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

/** The runtime version the generator defaults to, read from the runtime's published package.json. */
export function runtimeVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('jworker-runtime/package.json') as { version: string }).version;
}

/** A generated repo on disk, with readers that fail with the file's name. */
export function repo(dir: string) {
  const path = (file: string) => join(dir, file);
  const read = (file: string): string => {
    if (!existsSync(path(file))) throw new Error(`expected ${file} in ${dir}`);
    return readFileSync(path(file), 'utf8');
  };
  return {
    dir,
    path,
    read,
    exists: (file: string) => existsSync(path(file)),
    json: <T = Record<string, unknown>>(file: string) => JSON.parse(read(file)) as T,
    yaml: <T = Record<string, unknown>>(file: string) => YAML.parse(read(file)) as T,
  };
}

export type Repo = ReturnType<typeof repo>;

interface ComposeService {
  build?: string | { context?: string };
  env_file?: Array<string | { path: string }> | string;
  volumes?: string[];
}

/**
 * The local files a compose file names (build contexts' Dockerfiles, env files, bind-mounted sources), relative to
 * the repo. An env file `.env` is satisfied by `.env.example`: `.env` is the user's git-ignored copy of it.
 */
export function composeReferences(compose: { services: Record<string, ComposeService> }): string[] {
  const refs: string[] = [];
  for (const service of Object.values(compose.services)) {
    if (service.build !== undefined) {
      const context = typeof service.build === 'string' ? service.build : (service.build.context ?? '.');
      refs.push(join(context, 'Dockerfile'));
    }
    const envFiles = service.env_file === undefined ? [] : Array.isArray(service.env_file) ? service.env_file : [service.env_file];
    for (const envFile of envFiles) {
      const file = typeof envFile === 'string' ? envFile : envFile.path;
      refs.push(file === '.env' ? '.env.example' : file);
    }
    for (const volume of service.volumes ?? []) {
      const source = volume.split(':')[0] ?? '';
      if (source.startsWith('./') || source.startsWith('../')) refs.push(source);
    }
  }
  return refs;
}

/** The sources of every COPY in a Dockerfile that copies from the build context (not `--from=` a stage). */
export function dockerCopySources(dockerfile: string): string[] {
  const sources: string[] = [];
  for (const line of dockerfile.split('\n')) {
    const match = /^COPY\s+(.*)$/.exec(line.trim());
    if (!match?.[1] || match[1].includes('--from=')) continue;
    const parts = match[1].split(/\s+/).filter((part) => !part.startsWith('--'));
    sources.push(...parts.slice(0, -1));
  }
  return sources;
}

/**
 * Deletes a worker's queues (work, dead-letter, and the retry queues of the default policy: 1, 2, 4 and 8 s), with
 * the amqplib that the worker folder `dir` installed (a dependency of jworker-runtime).
 */
export async function deleteWorkerQueues(dir: string, amqpUrl: string, queue: string): Promise<void> {
  const amqp = createRequire(join(dir, 'package.json'))('amqplib') as typeof import('amqplib');
  const connection = await amqp.connect(amqpUrl);
  try {
    for (const name of [queue, `${queue}.dead`, ...[1000, 2000, 4000, 8000].map((ms) => `${queue}.retry.${ms}`)]) {
      const channel = await connection.createChannel();
      channel.on('error', () => {});
      await channel.deleteQueue(name).catch(() => {});
      await channel.close().catch(() => {});
    }
  } finally {
    await connection.close();
  }
}
