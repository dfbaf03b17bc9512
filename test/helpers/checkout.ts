import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync, realpathSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The root of this repository. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Copies this repository as it is in the working tree (tracked files and untracked ones git does not ignore) to
 * `dest`, to release from without touching the real checkout. Instead of installing again, the copy's
 * node_modules links to this checkout's packages, except the workspace links, which point at the copy's own
 * workspaces: building the copy's generator bundles the copy's runtime version.
 */
export function copyCheckout(dest: string): string {
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' })
    .split('\0')
    .filter((file) => file !== '' && existsSync(join(ROOT, file)));
  for (const file of files) {
    mkdirSync(dirname(join(dest, file)), { recursive: true });
    copyFileSync(join(ROOT, file), join(dest, file));
  }
  for (const modules of ['node_modules', 'jworker-runtime/node_modules', 'generator-jworker/node_modules']) {
    if (existsSync(join(ROOT, modules))) linkModules(join(ROOT, modules), join(dest, modules));
  }
  return dest;
}

function linkModules(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  // npm's hidden lockfile and tool caches are written to: the copy has none rather than the real ones.
  for (const entry of readdirSync(from).filter((name) => name !== '.package-lock.json' && name !== '.cache')) {
    const source = join(from, entry);
    // A workspace link (node_modules/jworker-runtime -> ../jworker-runtime) stays relative: it then names the copy's.
    const target =
      lstatSync(source).isSymbolicLink() && !readlinkSync(source).startsWith('/') ? readlinkSync(source) : realpathSync(source);
    symlinkSync(target, join(to, entry));
  }
}
