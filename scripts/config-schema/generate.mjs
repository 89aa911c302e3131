#!/usr/bin/env node
// Compiles the backend plugin's config.d.ts (the source, with its docs and
// visibility annotations) into config.schema.json, which package.json names
// as the plugin's `configSchema`: what `backstage-cli package prepack`
// would publish anyway. With a .d.ts there, every backend started from this
// workspace loaded the TypeScript compiler at start (the root logger reads
// the config schemas to find secrets), its program in memory and the event
// loop blocked while it compiled, which a published install never pays and
// the benchmark's pod figures then carried.
// `--check` fails when config.schema.json is out of date, so CI catches drift.
import { loadConfigSchema } from '@backstage/config-loader';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import prettier from 'prettier';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const packageDir = join(root, 'plugins/deployment-quality-backend');
const source = join(packageDir, 'config.d.ts');
const out = join(packageDir, 'config.schema.json');
const { name } = JSON.parse(
  await readFile(join(packageDir, 'package.json'), 'utf8'),
);

// The loader compiles the .d.ts a package.json names: a stand-in for ours,
// which names the JSON.
const scratch = await mkdtemp(join(tmpdir(), 'dq-config-schema-'));
let value;
try {
  await writeFile(
    join(scratch, 'package.json'),
    JSON.stringify({ name, version: '0.0.0', configSchema: source }),
  );
  const schema = await loadConfigSchema({
    dependencies: [],
    packagePaths: [join(scratch, 'package.json')],
    excludePackageDependencies: true,
    onSchemaError: error => {
      throw error;
    },
  });
  value = schema.serialize().schemas.find(s => s.packageName === name)?.value;
} finally {
  await rm(scratch, { recursive: true, force: true });
}
if (!value)
  throw new Error(`No schema compiled from ${relative(root, source)}`);

const text = await prettier.format(JSON.stringify(value), {
  ...(await prettier.resolveConfig(out)),
  parser: 'json',
});
const current = await readFile(out, 'utf8').catch(() => '');
if (current === text) process.exit(0);
if (process.argv.includes('--check')) {
  console.error(
    `${relative(
      root,
      out,
    )} is out of date with config.d.ts: run \`yarn config-schema:generate\` and commit the result.`,
  );
  process.exit(1);
}
await writeFile(out, text);
console.log(`wrote ${relative(root, out)}`);
