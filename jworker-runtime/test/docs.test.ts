import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import ts from 'typescript';

// The docs cannot drift from the API: every ```ts block in README.md and docs/*.md is compiled against the built
// runtime (dist types, imported as 'jworker-runtime' through the workspace link), and every relative link resolves.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PAGES = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`),
];

interface Block {
  readonly page: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly lang: string;
  readonly info: string;
  readonly code: string;
}

function codeBlocks(page: string): Block[] {
  const lines = readFileSync(join(ROOT, page), 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([\w+-]*)\s*(.*)$/.exec(lines[i] ?? '');
    if (!open) continue;
    const fence = open[2] ?? '```';
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !(lines[j] ?? '').trim().startsWith(fence)) body.push(lines[j++] ?? '');
    blocks.push({ page, line: i + 1, lang: (open[3] ?? '').toLowerCase(), info: open[4] ?? '', code: body.join('\n') });
    i = j;
  }
  return blocks;
}

const harnessBuilt = (() => {
  const dts = join(ROOT, 'jworker-runtime/dist/testing/index.d.ts');
  return existsSync(dts) && readFileSync(dts, 'utf8').includes('runTask');
})();

const tsBlocks = PAGES.flatMap(codeBlocks).filter((b) => (b.lang === 'ts' || b.lang === 'typescript') && !/\bnocheck\b/.test(b.info));
const waitingForHarness = (b: Block) => !harnessBuilt && b.code.includes("'jworker-runtime/testing'");

/** Compiles every block as its own module in one program; returns the diagnostics of each block. */
function compileBlocks(blocks: readonly Block[]): Map<Block, string[]> {
  const configFile = ts.readConfigFile(join(ROOT, 'tsconfig.json'), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(configFile.config, ts.sys, ROOT);
  const options: ts.CompilerOptions = { ...parsed.options, noEmit: true, declaration: false, sourceMap: false };
  // Virtual files inside docs/, so that module resolution finds node_modules/jworker-runtime and the root package.json
  // ("type": "module": blocks are ES modules, top-level await included).
  const files = new Map<string, Block>();
  blocks.forEach((block, index) => {
    const name = block.page.replace(/[^\w]/g, '_');
    files.set(resolve(ROOT, 'docs', `__doc_block_${name}_${block.line}_${index}.ts`), block);
  });
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const readFile = host.readFile.bind(host);
  host.fileExists = (fileName) => files.has(resolve(fileName)) || fileExists(fileName);
  host.readFile = (fileName) => {
    const block = files.get(resolve(fileName));
    return block ? `${block.code}\nexport {};\n` : readFile(fileName);
  };
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const block = files.get(resolve(fileName));
    if (block) return ts.createSourceFile(fileName, `${block.code}\nexport {};\n`, languageVersion, true);
    return getSourceFile(fileName, languageVersion, onError, shouldCreate);
  };
  const program = ts.createProgram({ rootNames: [...files.keys()], options, host });
  const out = new Map<Block, string[]>();
  for (const [fileName, block] of files) {
    const source = program.getSourceFile(fileName);
    const diagnostics = source ? [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)] : [];
    out.set(
      block,
      diagnostics.map((d) => {
        const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
        const line = where ? block.line + 1 + where.line : block.line;
        return `${block.page}:${line}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
      }),
    );
  }
  return out;
}

let compiled: Map<Block, string[]> | undefined;
const diagnosticsOf = (block: Block): string[] => {
  compiled ??= compileBlocks(tsBlocks.filter((b) => !waitingForHarness(b)));
  return compiled.get(block) ?? [];
};

test('the runtime is built, so docs compile against its published types', (t) => {
  t.true(existsSync(join(ROOT, 'jworker-runtime/dist/index.d.ts')), 'run `npx tsup` in jworker-runtime (root `npm test` builds first)');
  t.true(existsSync(join(ROOT, 'node_modules/jworker-runtime/package.json')), 'the workspace link node_modules/jworker-runtime is missing');
});

for (const page of PAGES) {
  const blocks = tsBlocks.filter((b) => b.page === page);
  if (blocks.length === 0) continue;
  test(`every TypeScript block in ${page} compiles against jworker-runtime`, (t) => {
    const problems: string[] = [];
    for (const block of blocks) {
      if (waitingForHarness(block)) {
        t.log(`${page}:${block.line}: not checked yet: jworker-runtime/testing does not export runTask in this build`);
        continue;
      }
      problems.push(...diagnosticsOf(block));
    }
    t.deepEqual(problems, []);
  });
}

test('fragments marked nocheck are rare', (t) => {
  const all = PAGES.flatMap(codeBlocks).filter((b) => b.lang === 'ts' || b.lang === 'typescript');
  const skipped = all.filter((b) => /\bnocheck\b/.test(b.info));
  t.log(`${all.length - skipped.length} TypeScript blocks checked, ${skipped.length} marked nocheck`);
  t.true(skipped.length * 5 <= all.length, `${skipped.length} of ${all.length} blocks are nocheck`);
});

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, duplicates numbered. */
function anchors(page: string): Set<string> {
  const text = readFileSync(join(ROOT, page), 'utf8').replace(/^(`{3,}|~{3,})[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const match of text.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = (match[1] ?? '')
      .replace(/`/g, '')
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    out.add(count === 0 ? base : `${base}-${count}`);
  }
  return out;
}

function links(page: string): Array<{ target: string; line: number }> {
  const lines = readFileSync(join(ROOT, page), 'utf8').split('\n');
  const out: Array<{ target: string; line: number }> = [];
  let fence: string | undefined;
  lines.forEach((text, index) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(text)?.[1];
    if (marker && (fence === undefined || marker.startsWith(fence))) {
      fence = fence === undefined ? marker : undefined;
      return;
    }
    if (fence !== undefined) return;
    const prose = text.replace(/`[^`]*`/g, '');
    for (const match of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) out.push({ target: match[1] ?? '', line: index + 1 });
  });
  return out;
}

for (const page of PAGES) {
  test(`every relative link and anchor in ${page} resolves`, (t) => {
    const problems: string[] = [];
    for (const { target, line } of links(page)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
      const [path = '', anchor] = target.split('#', 2);
      const file = path === '' ? page : relative(ROOT, resolve(ROOT, dirname(page), decodeURIComponent(path)));
      if (!existsSync(join(ROOT, file))) {
        problems.push(`${page}:${line}: ${target}: no file ${file}`);
        continue;
      }
      if (anchor && file.endsWith('.md') && !anchors(file).has(anchor))
        problems.push(`${page}:${line}: ${target}: no heading #${anchor} in ${file}`);
    }
    t.deepEqual(problems, []);
  });
}

test('the amqplib producer in docs/protocol.md is the script examples/protocol/producer.mjs that the demo test runs', (t) => {
  const script = readFileSync(join(ROOT, 'examples/protocol/producer.mjs'), 'utf8').trim();
  const blocks = codeBlocks('docs/protocol.md').map((b) => b.code.trim());
  t.true(blocks.includes(script), 'copy examples/protocol/producer.mjs into docs/protocol.md unchanged');
});

test('docs/worker-api.md names every export of src/index.ts', (t) => {
  const index = readFileSync(join(ROOT, 'jworker-runtime/src/index.ts'), 'utf8');
  const names = [...index.matchAll(/export (?:type )?\{([^}]*)\}/g)].flatMap((m) =>
    (m[1] ?? '')
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean),
  );
  const page = readFileSync(join(ROOT, 'docs/worker-api.md'), 'utf8');
  t.true(names.length > 30);
  t.deepEqual(
    names.filter((name) => !page.includes(`\`${name}`)),
    [],
  );
});

test('docs/configuration.md documents every environment variable and every WorkerConfig option', async (t) => {
  const { ENV_VARIABLES } = await import('jworker-runtime');
  const page = readFileSync(join(ROOT, 'docs/configuration.md'), 'utf8');
  t.deepEqual(
    Object.keys(ENV_VARIABLES).filter((name) => !page.includes(`| \`${name}\` |`)),
    [],
  );
  const options = readFileSync(join(ROOT, 'jworker-runtime/src/config/options.ts'), 'utf8');
  const body = options.slice(options.indexOf('export interface WorkerConfig'));
  const fields = [...body.matchAll(/^\s+readonly (\w+)\?:/gm)].map((m) => m[1] ?? '');
  t.true(fields.length > 10);
  t.deepEqual(
    fields.filter((name) => !page.includes(`| \`${name}\` |`)),
    [],
  );
});
