/**
 * The version of this jworker-runtime build: logged when a worker starts, the `version` label of the
 * `jworker_build_info` gauge, and what `jworker --version` prints.
 * Kept equal to package.json by `npm run version-packages` (scripts/sync-versions.mjs), which releases run after
 * `changeset version`; test/version.test.ts fails when the two differ.
 */
export const VERSION = '0.1.0';
