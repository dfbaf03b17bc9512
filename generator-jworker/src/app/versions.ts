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
  // test/workflows.test.ts checks .github/workflows against the workflow schema and with GitHub's own parser.
  '@action-validator/core': '^0.6.0',
  '@actions/workflow-parser': '^0.3.61',
  yaml: '^2.8.0',
} as const;

/**
 * What test/deploy.test.ts checks the Kubernetes manifests with (`--deploy k8s`): the Kubernetes (1.27) and KEDA
 * schemas. The newer majors (kubernetes-models 5, @kubernetes-models/keda 2) require Node.js 22.
 */
export const K8S_DEV_DEPENDENCIES = {
  'kubernetes-models': '^4.5.1',
  '@kubernetes-models/keda': '^0.4.2',
} as const;

/**
 * OpenTelemetry tracing (src/tracing.ts), started only when OTEL_* variables ask for it. The 2.x SDK line: 3.x needs
 * Node.js 22.15, and a worker supports Node.js 20. The SDK packages are released together and the OTLP exporter pins
 * its sdk-trace, core and resources exactly: the same versions here keep one copy of each. The API is listed with
 * the range their peer dependencies accept (below 1.10), so that npm installs one copy of it, which jworker-runtime
 * and prom-client share: a copy of another minor version would not see the SDK registered through this one.
 */
export const TRACING_DEPENDENCIES = {
  '@opentelemetry/api': '~1.9.0',
  '@opentelemetry/context-async-hooks': '2.12.1',
  '@opentelemetry/core': '2.12.1',
  '@opentelemetry/exporter-trace-otlp-http': '0.223.1',
  '@opentelemetry/resources': '2.12.1',
  '@opentelemetry/sdk-trace': '2.12.1',
} as const;

/** Runtime dependencies of the generated worker besides jworker-runtime. */
export const DEPENDENCIES = {
  zod: '^4.1.0',
  ...TRACING_DEPENDENCIES,
} as const;

/** The Node.js versions a generated worker supports: engines, .nvmrc, CI matrix and the Docker image. */
export const NODE = {
  engines: '>=20.17',
  nvmrc: '22',
  ci: [20, 22],
  image: '22-alpine',
} as const;

/**
 * The RabbitMQ image of the generated docker-compose.yml and CI service, and of every `docker run` in the docs:
 * one version everywhere (test/rabbitmq-image.test.ts at the repository root checks it).
 */
export const RABBITMQ_IMAGE = 'rabbitmq:4-management';
