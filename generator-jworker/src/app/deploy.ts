import type { TemplateFile } from './files.js';
import { K8S_DEV_DEPENDENCIES } from './versions.js';

/**
 * Where a generated worker is deployed: `compose` is `docker-compose.prod.yml` for a VPS, `k8s` the kustomize base in
 * `deploy/k8s/` with a KEDA autoscaler. `docker-compose.yml` for local development is written whatever the targets.
 */
export type DeployTarget = 'compose' | 'k8s';

export const DEPLOY_TARGETS: readonly DeployTarget[] = ['compose', 'k8s'];

/** Compose alone: a VPS is where most workers start, and k8s brings files and test dependencies many never use. */
export const DEFAULT_DEPLOY: readonly DeployTarget[] = ['compose'];

/**
 * Reads `--deploy compose,k8s` (commas or spaces; order and repeats do not matter).
 * Returns the targets in a fixed order, or the problem as a sentence naming the value and the choices.
 */
export function parseDeploy(value: string): { targets: readonly DeployTarget[] } | { problem: string } {
  const given = value
    .split(/[\s,]+/)
    .map((part) => part.trim().toLowerCase())
    .filter((part) => part !== '');
  const unknown = given.filter((part) => !(DEPLOY_TARGETS as readonly string[]).includes(part));
  if (given.length === 0 || unknown.length > 0) {
    const what = given.length === 0 ? 'names no target' : `has ${unknown.map((part) => `"${part}"`).join(', ')}`;
    return {
      problem: `--deploy "${value}" ${what}: give one or more of ${DEPLOY_TARGETS.join(', ')}, comma-separated (e.g. --deploy compose,k8s)`,
    };
  }
  return { targets: DEPLOY_TARGETS.filter((target) => given.includes(target)) };
}

/**
 * The Kubernetes settings the manifests share; the generated repo's test/deploy.test.ts checks that they agree.
 * A graceful stop takes up to SHUTDOWN_TIMEOUT_MS for in-flight tasks, then up to PROGRESS_FLUSH_TIMEOUT_MS (runtime
 * default 5 s) for progress events: the pod's grace period covers both with a margin before Kubernetes kills it.
 */
export const K8S = {
  /** WORKER_CONCURRENCY, and the KEDA trigger's queue length per replica. */
  concurrency: 10,
  shutdownTimeoutMs: 30_000,
  terminationGracePeriodSeconds: 45,
  minReplicas: 1,
  maxReplicas: 10,
} as const;

/** The files of the deployment targets (beside {@link fileList}'s, which every repo gets). */
export function deployFiles(targets: readonly DeployTarget[]): readonly TemplateFile[] {
  const files: TemplateFile[] = [];
  if (targets.includes('compose')) {
    files.push({ template: 'docker-compose.prod.yml.ejs', destination: 'docker-compose.prod.yml', kind: 'managed' });
  }
  if (targets.includes('k8s')) {
    for (const manifest of K8S_MANIFESTS) {
      files.push({ template: `deploy/k8s/${manifest}.ejs`, destination: `deploy/k8s/${manifest}`, kind: 'managed' });
    }
    // Checks the manifests against the Kubernetes and KEDA schemas and against the worker: managed with them.
    files.push({ template: 'test/deploy.test.ts.ejs', destination: 'test/deploy.test.ts', kind: 'managed' });
  }
  return files;
}

/** The kustomize base, in the order kustomization.yaml lists its resources. */
export const K8S_MANIFESTS = [
  'kustomization.yaml',
  'configmap.yaml',
  'deployment.yaml',
  'poddisruptionbudget.yaml',
  'networkpolicy.yaml',
  'triggerauthentication.yaml',
  'scaledobject.yaml',
] as const;

/** The devDependencies a target adds to the generated package.json (the schema checks of its files). */
export function deployDevDependencies(targets: readonly DeployTarget[]): Record<string, string> {
  return targets.includes('k8s') ? { ...K8S_DEV_DEPENDENCIES } : {};
}
