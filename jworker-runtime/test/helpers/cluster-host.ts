// Where test clusters live on this machine: free node names and ports, and the nodes of runs that died before their
// cleanup.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** The temp folders of test clusters start with this. */
export const PREFIX = 'jworker-cluster-';

/** Kills the nodes and removes the folders of clusters whose owner process is gone. */
export function removeAbandoned(): void {
  for (const name of readdirSync(os.tmpdir())) {
    if (!name.startsWith(PREFIX)) continue;
    const dir = path.join(os.tmpdir(), name);
    try {
      const owner = Number(readFileSync(path.join(dir, 'owner'), 'utf8'));
      if (alive(owner)) continue;
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (!entry.isDirectory()) continue;
        const pidFile = path.join(dir, entry.name, 'pid');
        if (existsSync(pidFile)) killQuietly(Number(readFileSync(pidFile, 'utf8').trim()));
      }
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // Not ours, or already gone.
    }
  }
}

/** Node names and ports no other cluster on this machine uses (another checkout may run the suite at the same time). */
export async function freeSlot(size: number): Promise<{ names: string[]; basePort: number }> {
  let registered = '';
  try {
    registered = execFileSync('epmd', ['-names'], { encoding: 'utf8' });
  } catch {
    // epmd not running yet: no names are taken.
  }
  for (let k = 0; k < 20; k++) {
    const names = Array.from({ length: size }, (_, i) => (k === 0 ? `c${i + 1}` : `c${i + 1}-${k}`));
    const basePort = 5701 + 10 * k;
    const ports = Array.from({ length: size }, (_, i) => [basePort + i, basePort + i + 20_000, basePort + i + 30_000]).flat();
    if (names.some((n) => new RegExp(`name ${n} at`).test(registered))) continue;
    if ((await Promise.all(ports.map(portFree))).every(Boolean)) return { names, basePort };
  }
  throw new Error('no free node names and ports for a test cluster (5701..5891 and their distribution ports are taken)');
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
