import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import test from 'ava';
import { PACKAGE_DIR } from './helpers.js';

interface PackFile {
  readonly path: string;
}

const packed = () => {
  const output = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: PACKAGE_DIR, encoding: 'utf8' });
  const [result] = JSON.parse(output) as Array<{ name: string; files: PackFile[] }>;
  if (!result) throw new Error(`npm pack --dry-run printed no result: ${output}`);
  return result;
};

test('the package ships the compiled generator, its templates and the bundled runtime facts, and nothing else', (t) => {
  const { name, files } = packed();
  t.is(name, 'generator-jworker');
  const paths = files.map((file) => file.path).sort();
  t.true(paths.includes('generators/app/index.js'), 'yo finds generators/app/index.js');
  t.true(paths.includes('generators/runtime-info.json'), 'the runtime version and variables are bundled');
  t.true(paths.includes('templates/src/app/worker.ts.ejs'));
  t.true(paths.includes('templates/gitignore.ejs'), 'the .gitignore template ships without its dot');
  t.true(paths.includes('package.json'));
  t.true(paths.includes('README.md'));
  t.true(paths.includes('CHANGELOG.md'));
  const unexpected = paths.filter(
    (path) =>
      !/^generators\/.+\.(js|d\.ts|json)$/.test(path) &&
      !/^templates\/.+\.ejs$/.test(path) &&
      !['package.json', 'README.md', 'CHANGELOG.md'].includes(path),
  );
  t.deepEqual(unexpected, [], 'no sources, tests or scripts in the package');
  t.false(
    paths.some((path) => path.startsWith('src/') || path.startsWith('test/')),
    'no TypeScript sources',
  );
});

test('package.json points Yeoman and Node at the compiled generator; yeoman-environment only for the npx bin', (t) => {
  const pkg = JSON.parse(readFileSync(`${PACKAGE_DIR}/package.json`, 'utf8')) as {
    main: string;
    exports: Record<string, unknown>;
    keywords: string[];
    dependencies: Record<string, string>;
    files: string[];
    bin: Record<string, string>;
  };
  t.is(pkg.main, './generators/app/index.js');
  t.like(pkg.exports['.'], { default: './generators/app/index.js' });
  t.true(pkg.keywords.includes('yeoman-generator'), 'listed as a generator on npm');
  // yeoman-generator for the generator; yeoman-environment (and its peers) for `npx generator-jworker`, which runs it without yo.
  t.deepEqual(Object.keys(pkg.dependencies).sort(), [
    '@yeoman/adapter',
    '@yeoman/types',
    'mem-fs',
    'yeoman-environment',
    'yeoman-generator',
  ]);
  t.deepEqual(pkg.bin, { 'generator-jworker': './generators/cli.js' });
  t.deepEqual(pkg.files, ['generators', 'templates', 'README.md', 'CHANGELOG.md']);
});
