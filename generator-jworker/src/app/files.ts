import type { WorkerNames } from './naming.js';

/**
 * How a file behaves when `yo jworker` runs again inside a generated repo:
 * `managed` files are rewritten (Yeoman shows a diff and asks before overwriting a changed file);
 * `scaffold` files are the worker's own code and docs, written once and then left alone.
 */
export type FileKind = 'managed' | 'scaffold';

/** One file the generator writes. */
export interface TemplateFile {
  /** Path under `templates/`, always ending in `.ejs`. */
  readonly template: string;
  /** Path in the generated repo. */
  readonly destination: string;
  readonly kind: FileKind;
}

/**
 * Every file of a generated worker repository except those of its deployment targets (`deployFiles()`), `package.json`
 * (built in code so that regenerating merges into it) and `.yo-rc.json` (Yeoman's). Dotfiles are shipped without their
 * dot: npm drops `.gitignore` from packages.
 */
export function fileList(names: WorkerNames): readonly TemplateFile[] {
  const { name } = names;
  const files: Array<[string, string, FileKind]> = [
    ['src/app/worker.ts.ejs', `src/app/${name}.worker.ts`, 'scaffold'],
    ['src/main.ts.ejs', 'src/main.ts', 'scaffold'],
    ['src/tracing.ts.ejs', 'src/tracing.ts', 'managed'],
    ['test/worker.test.ts.ejs', `test/${name}.worker.test.ts`, 'scaffold'],
    ['README.md.ejs', 'README.md', 'scaffold'],
    ['tsconfig.json.ejs', 'tsconfig.json', 'managed'],
    ['tsup.config.ts.ejs', 'tsup.config.ts', 'managed'],
    ['biome.json.ejs', 'biome.json', 'managed'],
    ['nvmrc.ejs', '.nvmrc', 'managed'],
    ['gitignore.ejs', '.gitignore', 'managed'],
    ['dockerignore.ejs', '.dockerignore', 'managed'],
    ['env.example.ejs', '.env.example', 'managed'],
    ['Dockerfile.ejs', 'Dockerfile', 'managed'],
    ['docker-compose.yml.ejs', 'docker-compose.yml', 'managed'],
    ['monitoring/prometheus.yml.ejs', 'monitoring/prometheus.yml', 'managed'],
    ['monitoring/alerts.yml.ejs', 'monitoring/alerts.yml', 'managed'],
    ['monitoring/alerts.test.yml.ejs', 'monitoring/alerts.test.yml', 'managed'],
    [
      'monitoring/grafana/provisioning/datasources/prometheus.yml.ejs',
      'monitoring/grafana/provisioning/datasources/prometheus.yml',
      'managed',
    ],
    ['monitoring/grafana/provisioning/dashboards/jworker.yml.ejs', 'monitoring/grafana/provisioning/dashboards/jworker.yml', 'managed'],
    ['monitoring/grafana/dashboards/jworker.json.ejs', 'monitoring/grafana/dashboards/jworker.json', 'managed'],
    ['github/workflows/ci.yml.ejs', '.github/workflows/ci.yml', 'managed'],
    ['test/workflows.test.ts.ejs', 'test/workflows.test.ts', 'managed'],
  ];
  return files.map(([template, destination, kind]) => ({ template, destination, kind }));
}
