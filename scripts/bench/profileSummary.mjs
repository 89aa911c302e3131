// Where a backend's CPU went, from a V8 CPU profile (.cpuprofile): self
// time by package, a native frame (a syscall, postMessage) counted with the
// JavaScript that called it, then grouped into the plugin's own code, its
// database access (knex, the drivers, the SQLite reader threads' messages)
// and the rest of the request path (Node's HTTP, Express and Backstage's
// middleware: auth, request validation, compression, logging).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Makes the dev backends started from here on profile each span between
 * two event-loop reports (dev/index.ts); answers the profiles' directory.
 */
export function profileBackends() {
  const dir = mkdtempSync(join(tmpdir(), 'dq-profile-'));
  process.env.DQ_CPU_PROFILE_DIR = dir;
  return dir;
}

const pct = x => `${(100 * x).toFixed(1)} %`;

const DATABASE =
  /^(knex|tarn|pg|pg-.*|better-sqlite3|node:internal\/worker.*|PLUGIN:database\/sqliteReader.*)$/;

function packageOf(url) {
  if (!url) return undefined;
  const inModules = url.match(/node_modules\/((@[^/]+\/)?[^/]+)/);
  if (inModules) return inModules[1];
  const plugin = url.match(/plugins\/deployment-quality[^/]*\/(src|dev)\/(.*)/);
  if (plugin) return `PLUGIN:${plugin[2]}`;
  return url.startsWith('node:')
    ? url.replace(/^(node:[^/]+(\/[^/]+)?).*/, '$1')
    : url;
}

export function profileSummary(file) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map(n => [n.id, n]));
  const parents = new Map();
  for (const n of profile.nodes) {
    for (const c of n.children ?? []) parents.set(c, n.id);
  }
  const byPackage = new Map();
  let total = 0;
  for (const id of profile.samples) {
    let node = nodes.get(id);
    const name = node.callFrame.functionName;
    let pkg;
    if (['(garbage collector)', '(idle)', '(program)'].includes(name)) {
      pkg = name;
    } else {
      for (let at = id; at !== undefined && !pkg; at = parents.get(at)) {
        node = nodes.get(at);
        pkg = packageOf(node.callFrame.url);
      }
      pkg ??= '(native, no caller)';
    }
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + 1);
    total++;
  }
  const busy = total - (byPackage.get('(idle)') ?? 0);
  const share = n => n / busy;
  const groups = { plugin: 0, database: 0, gc: 0, requestPath: 0 };
  for (const [pkg, n] of byPackage) {
    if (pkg === '(idle)') continue;
    if (pkg === '(garbage collector)') groups.gc += n;
    else if (DATABASE.test(pkg)) groups.database += n;
    else if (pkg.startsWith('PLUGIN:')) groups.plugin += n;
    else groups.requestPath += n;
  }
  return {
    busyShare: busy / total,
    groups: Object.fromEntries(
      Object.entries(groups).map(([k, n]) => [k, share(n)]),
    ),
    top: [...byPackage]
      .filter(([pkg]) => pkg !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, 15)
      .map(([pkg, n]) => [pkg, share(n)]),
  };
}

/** "main thread busy 94 %: plugin 6 %, database access 14 %, …". */
export function formatProfile({ busyShare, groups }) {
  return `backend main thread busy ${pct(busyShare)}; of that: plugin ${pct(
    groups.plugin,
  )}, database access ${pct(groups.database)}, GC ${pct(
    groups.gc,
  )}, HTTP, Express and Backstage's middleware ${pct(groups.requestPath)}`;
}

/** The packages that took the most of it: "express 12.3 %, …". */
export function formatTop({ top }) {
  return top.map(([pkg, x]) => `${pkg} ${pct(x)}`).join(', ');
}
