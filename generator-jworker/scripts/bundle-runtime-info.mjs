// Bundles what the generator needs to know about jworker-runtime: its version (the default --runtime-version range)
// and ENV_VARIABLES (documented in every generated .env.example). Read at build time through the runtime's
// published API, so the published generator carries them without depending on the runtime.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { version } = require('jworker-runtime/package.json');
let runtime;
try {
  runtime = await import('jworker-runtime');
} catch (error) {
  console.error(`generator-jworker: cannot load jworker-runtime (${error.message}). Build it first: npm run build -w jworker-runtime`);
  process.exit(1);
}
const { ENV_VARIABLES } = runtime;
if (typeof ENV_VARIABLES !== 'object' || ENV_VARIABLES === null || Object.keys(ENV_VARIABLES).length === 0) {
  console.error('generator-jworker: jworker-runtime exports no ENV_VARIABLES; cannot document the configuration');
  process.exit(1);
}
const info = { version, envVariables: ENV_VARIABLES };
writeFileSync(new URL('../generators/runtime-info.json', import.meta.url), `${JSON.stringify(info, null, 2)}\n`);
console.log(`generator-jworker: bundled jworker-runtime ${version} (${Object.keys(ENV_VARIABLES).length} environment variables)`);
