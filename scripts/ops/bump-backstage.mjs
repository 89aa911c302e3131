// Moves every @backstage/* and @backstage-community/* dependency of the
// workspace to the npm registry's `latest`, as `backstage-cli versions:bump`
// would if its release manifest could be reached. A caret range stays a caret
// range and an exact pin stays exact. Writes backstage.json's release when
// given `--release`. Run `yarn install` afterwards. `--root DIR` bumps
// another Backstage repository instead (the install check's fresh apps).
//
// Release 1.57 came without a new @backstage/backend-test-utils (the
// registry's latest, 1.11.7, asks for backend-defaults ^0.18): the root
// package.json's `resolutions` move it onto 1.57's backend-defaults and
// backend-app-api. Check them after a bump (README, Development).
//
//   node scripts/ops/bump-backstage.mjs [--release 1.57.0] [--dry-run true]
//        [--root DIR]
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliArgs } from '../lib/args.mjs';

const args = cliArgs();
const repoRoot = args.root
  ? resolve(args.root)
  : resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SCOPES = /^@backstage(-community)?\//;
const SECTIONS = [
  'dependencies',
  'devDependencies',
  'peerDependencies',
  'optionalDependencies',
];

const manifests = [join(repoRoot, 'package.json')];
for (const dir of ['packages', 'plugins']) {
  for (const name of readdirSync(join(repoRoot, dir))) {
    const file = join(repoRoot, dir, name, 'package.json');
    if (existsSync(file)) manifests.push(file);
  }
}

const latest = new Map();
function latestOf(name) {
  if (!latest.has(name)) {
    const version = execFileSync('npm', ['view', name, 'version'], {
      encoding: 'utf8',
    }).trim();
    latest.set(name, version);
  }
  return latest.get(name);
}

for (const file of manifests) {
  const text = readFileSync(file, 'utf8');
  const pkg = JSON.parse(text);
  const changes = [];
  for (const section of SECTIONS) {
    for (const [name, range] of Object.entries(pkg[section] ?? {})) {
      if (!SCOPES.test(name) || range.startsWith('workspace:')) continue;
      const prefix = /^[\^~]/.test(range) ? range[0] : '';
      const next = `${prefix}${latestOf(name)}`;
      if (next !== range) {
        pkg[section][name] = next;
        changes.push(`${name} ${range} → ${next}`);
      }
    }
  }
  if (changes.length === 0) continue;
  console.log(`${file.slice(repoRoot.length + 1)}\n  ${changes.join('\n  ')}`);
  if (!args['dry-run']) {
    writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
  }
}

if (args.release && !args['dry-run']) {
  writeFileSync(
    join(repoRoot, 'backstage.json'),
    `${JSON.stringify({ version: args.release }, null, 2)}\n`,
  );
}
