import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';

// The layout docs/architecture.md describes, held against the code: small files, and no two modules that import each
// other, directly or around a loop (type-only imports included).

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** The files of src/ that `file` imports (static and type-only imports and re-exports of relative paths). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s+'(\.[^']+)'/g)].map((m) => m[1] as string);
  return specifiers.map((spec) => path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts')));
}

const files = sourceFiles(SRC);
const relative = (file: string) => path.relative(SRC, file);

test('no source file is longer than 300 lines, and base-worker.ts about 250 at most', (t) => {
  const long = files
    .map((file) => ({ file: relative(file), lines: readFileSync(file, 'utf8').split('\n').length - 1 }))
    .filter(({ file, lines }) => lines > (file === 'worker/base-worker.ts' ? 250 : 300));
  t.deepEqual(long, []);
});

test('no import cycles between the modules of src/, type imports included', (t) => {
  const graph = new Map(files.map((file) => [file, importsOf(file).filter((target) => files.includes(target))]));
  const cycles: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (file: string, trail: string[]): void => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'visiting') {
      cycles.push([...trail.slice(trail.indexOf(file)), file].map(relative).join(' -> '));
      return;
    }
    state.set(file, 'visiting');
    for (const target of graph.get(file) ?? []) visit(target, [...trail, file]);
    state.set(file, 'done');
  };
  for (const file of files) visit(file, []);
  t.deepEqual(cycles, []);
  t.true(graph.size > 50, 'the scan read the source tree');
  t.true([...graph.values()].flat().length > 100, 'and found its imports');
});
