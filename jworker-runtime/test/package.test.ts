import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';

// What a worker repository gets from `npm install jworker-runtime`: dependencies, never devDependencies. A type the
// published .d.ts files import from a package that is only a devDependency here turns into `any` there.

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')) as {
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
};

/** Every package a declaration file imports (`from 'x'`, `import('x')`), by package name. */
function importedPackages(dir: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !/\.d\.c?ts$/.test(entry.name)) continue;
    const file = join(entry.parentPath, entry.name);
    const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
    for (const match of code.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*)['"]([^'"]+)['"]/g)) {
      const specifier = match[1] ?? '';
      if (specifier.startsWith('.') || specifier.startsWith('node:') || builtinModules.includes(specifier)) continue;
      const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : (specifier.split('/')[0] ?? '');
      found.set(name, file);
    }
  }
  return found;
}

/** The package that holds a package's types: itself, or @types/<name> (@types/scope__name for a scoped one). */
const typesPackage = (name: string) => `@types/${name.startsWith('@') ? name.slice(1).replace('/', '__') : name}`;

test('every package the published types import is a dependency, with its types', (t) => {
  const shipped = { ...pkg.dependencies, ...pkg.peerDependencies };
  const imported = importedPackages(join(PACKAGE_DIR, 'dist'));
  t.true(imported.has('bunyan'), 'the Logger type of TaskContext.logger comes from bunyan (run npx tsup first)');
  for (const [name, file] of imported) {
    t.truthy(shipped[name], `${name}, imported by ${file}, is a dependency`);
    const ownTypes = (() => {
      try {
        const manifest = JSON.parse(readFileSync(join(PACKAGE_DIR, '..', 'node_modules', name, 'package.json'), 'utf8')) as Record<
          string,
          unknown
        >;
        return manifest['types'] !== undefined || manifest['typings'] !== undefined;
      } catch {
        return false;
      }
    })();
    if (!ownTypes)
      t.truthy(shipped[typesPackage(name)], `${typesPackage(name)} (the types of ${name}) is a dependency, not a devDependency`);
  }
});
