import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import test from 'ava';
import { marked } from 'marked';
import ts from 'typescript';
import YAML from 'yaml';
import { BASE, generate, rejectsWith } from './generate.js';

// --description is free text that lands in TypeScript comments, JSON, YAML and Markdown: whatever it holds, every
// generated file must still parse, and the text must come out as the one line the user wrote.

const HOSTILE = [
  'Sends */ mail',
  '# not a heading',
  '<script>alert(1)</script> `code` *bold* _it_ [link](target) ~~gone~~ | pipe & amp;',
  `"double" 'single' \${template} back\\slash key: value # comment\r\n- not a list`,
  '1. not an ordered list',
].join('\n');
const ONE_LINE = HOSTILE.replace(/\s+/g, ' ').trim();

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** marked's escaping of text in HTML. */
const html = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

test.serial('a description with */, line breaks and markup leaves every generated file parseable and reads as one line', async (t) => {
  const { repo } = await generate(['orders'], { ...BASE, description: HOSTILE });
  const files = filesUnder(repo.dir).map((path) => relative(repo.dir, path));
  const parsed = { ts: 0, json: 0, yaml: 0 };
  for (const file of files) {
    const text = repo.read(file);
    if (file.endsWith('.ts')) {
      const output = ts.transpileModule(text, {
        fileName: file,
        reportDiagnostics: true,
        compilerOptions: { module: ts.ModuleKind.NodeNext },
      });
      t.deepEqual(
        (output.diagnostics ?? []).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')),
        [],
        `${file} parses`,
      );
      parsed.ts++;
    } else if (file.endsWith('.json')) {
      t.notThrows(() => JSON.parse(text), `${file} is JSON`);
      parsed.json++;
    } else if (file.endsWith('.yml') || file.endsWith('.yaml')) {
      t.deepEqual(
        YAML.parseAllDocuments(text).flatMap((document) => document.errors.map((error) => error.message)),
        [],
        `${file} is YAML`,
      );
      parsed.yaml++;
    }
  }
  t.true(parsed.ts >= 4 && parsed.json >= 4 && parsed.yaml >= 4, `parsed ${JSON.stringify(parsed)}`);

  // The worker class keeps its doc comment, and the code after the comment is still code.
  const worker = ts.createSourceFile('worker.ts', repo.read('src/app/orders.worker.ts'), ts.ScriptTarget.ES2022, true);
  const workerClass = worker.statements.find(ts.isClassDeclaration);
  t.is(workerClass?.name?.text, 'OrdersWorker');
  const comment = workerClass ? ts.getJSDocCommentsAndTags(workerClass)[0] : undefined;
  t.true(ts.getTextOfJSDocComment(comment?.comment)?.startsWith(ONE_LINE.replace('*/', '*\\/')), 'the class comment opens with the text');

  t.is(repo.json<{ description: string }>('package.json').description, ONE_LINE);
  t.like(repo.json('.yo-rc.json'), { 'generator-jworker': { description: ONE_LINE } });

  // The README renders the text literally: one paragraph under the only heading, no markup, no script.
  const rendered = await marked.parse(repo.read('README.md'));
  t.is(rendered.match(/<h1>/g)?.length, 1);
  t.true(rendered.startsWith(`<h1>@acme/orders</h1>\n<p>${html(ONE_LINE)}</p>\n`), rendered.slice(0, 600));
  t.false(rendered.includes('<script>'));
});

test.serial('a description with control characters is refused with the reason', async (t) => {
  const message = await rejectsWith(
    ['orders'],
    { ...BASE, description: 'Sends mail\u001b[31m in red' },
    /--description .* holds control characters/,
  );
  t.regex(message, /plain text/);
});
