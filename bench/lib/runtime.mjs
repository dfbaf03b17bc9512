// Snapshots a built runtime (tsup's dist/) under bench/.runtime/<name>/, so every child of one run loads the same code
// even when someone rebuilds dist/ meanwhile. The copy resolves its dependencies from the workspace's node_modules.
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SNAPSHOTS = fileURLToPath(new URL('../.runtime/', import.meta.url));

export function snapshotRuntime(dir, name) {
  const source = path.resolve(ROOT, dir);
  const target = path.join(SNAPSHOTS, name);
  for (let tries = 0; ; tries++) {
    // A build in progress (tsup cleans dist/ first) leaves no index.js for a moment: wait for it.
    if (existsSync(path.join(source, 'index.js'))) break;
    if (tries >= 60) throw new Error(`no built runtime at ${source}: run npm run build -w jworker-runtime`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
  }
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  for (const file of readdirSync(source)) {
    if (file.endsWith('.js')) cpSync(path.join(source, file), path.join(target, file));
  }
  return { entry: pathToFileURL(path.join(target, 'index.js')).href };
}
