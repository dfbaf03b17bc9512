// Removes the previous build so that deleted sources leave no stale generators/ files behind.
import { rmSync } from 'node:fs';

rmSync(new URL('../generators', import.meta.url), { recursive: true, force: true });
