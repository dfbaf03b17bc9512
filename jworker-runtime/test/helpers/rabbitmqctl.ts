import { execFileSync } from 'node:child_process';

let available: boolean | undefined;

/** True where this machine can administer the broker (rabbitmqctl as root). */
export function hasRabbitmqctl(): boolean {
  if (available === undefined) {
    try {
      execFileSync('rabbitmqctl', ['-q', 'ping'], { stdio: 'ignore', timeout: 20_000 });
      available = true;
    } catch {
      available = false;
    }
  }
  return available;
}

export function ctl(...args: string[]): string {
  return execFileSync('rabbitmqctl', args, { encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Creates (or resets the password of) a broker user with every permission on the default virtual host. */
export function ensureUser(user: string, password: string): void {
  try {
    ctl('add_user', user, password);
  } catch {
    ctl('change_password', user, password);
  }
  ctl('set_permissions', '-p', '/', user, '.*', '.*', '.*');
}
