/**
 * Versions of the tools a generated worker repository uses. One place to bump them; a regenerated repo
 * (`yo jworker` inside it) picks the new ranges up.
 */
export const DEV_DEPENDENCIES = {
  '@biomejs/biome': '^2.6.0',
  '@types/node': '^20.19.0',
  ava: '^7.0.0',
  tsup: '^8.5.0',
  tsx: '^4.20.0',
  typescript: '^5.9.0',
} as const;

/** Runtime dependencies of the generated worker besides jworker-runtime. */
export const DEPENDENCIES = {
  zod: '^4.1.0',
} as const;

/** The Node.js versions a generated worker supports: engines, .nvmrc, CI matrix and the Docker image. */
export const NODE = {
  engines: '>=20.17',
  nvmrc: '22',
  ci: [20, 22],
  image: '22-alpine',
} as const;
