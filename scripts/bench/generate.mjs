#!/usr/bin/env node
// The benchmark's dataset, loaded straight into the plugin's tables: N
// attempts and 3N test runs of S services (default 5,000) on 6 clusters
// over the last 90 days, deterministic for a given seed (and day). Replaces
// whatever the tables held. Used by run.mjs, and on its own:
//
//   node scripts/bench/generate.mjs --db sqlite --connection /tmp/dq.sqlite
//   node scripts/bench/generate.mjs --db pg \
//     --connection postgresql://postgres:postgres@127.0.0.1:5432/dq \
//     [--attempts 1000000] [--services 5000]
//
// It runs the plugin's migrations first, so an empty database works too.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import knexFactory from 'knex';
import pg from 'pg';
import { repoRoot } from '../reliability/harness.mjs';
import { cliArgs } from '../lib/args.mjs';
import { pluginModule } from './direct.mjs';

export const CLUSTERS = [
  'mira-us-west-2',
  'mira-us-east-1',
  'pavo-us-west-2',
  'pavo-eu-west-1',
  'aquila-us-east-1',
  'aquila-eu-central-1',
];
export const DEFAULT_SERVICES = 5000;

/** The fleet's service ids, busiest first: `svc-0000` … */
export function serviceIds(count = DEFAULT_SERVICES) {
  const width = String(count - 1).length;
  return Array.from(
    { length: count },
    (_, i) => `svc-${String(i).padStart(width, '0')}`,
  );
}
export const SUITES = ['FUNCTIONAL', 'SANITY', 'REGRESSION'];

/**
 * The fleet's catalog: one Component per service (linked by name), owned by
 * 50 teams in 10 systems, as a catalog of a 5,000-service company holds
 * them.
 */
export function catalogEntities(services = DEFAULT_SERVICES) {
  return serviceIds(services).map((name, i) => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, namespace: 'default', title: `Service ${name}` },
    spec: {
      type: 'service',
      lifecycle: 'production',
      owner: `group:default/team-${i % 50}`,
      system: `system-${i % 10}`,
    },
    relations: [
      { type: 'ownedBy', targetRef: `group:default/team-${i % 50}` },
      { type: 'partOf', targetRef: `system:default/system-${i % 10}` },
    ],
  }));
}
const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
const TABLES = [
  'dq_attempts',
  'dq_test_runs',
  'dq_service_clusters',
  'dq_ingested_events',
];
const migrationsDir = join(
  repoRoot,
  'plugins/deployment-quality-backend/migrations',
);

/** mulberry32: small, fast, and the same sequence on every machine. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A draw in proportion to `weights`: `r` in [0, 1) → an index, by binary
 * search over the running sums (a fleet has thousands of services).
 */
function sampler(weights) {
  const sums = [];
  let total = 0;
  for (const w of weights) sums.push((total += w));
  return r => {
    const x = r * total;
    let lo = 0;
    let hi = sums.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sums[mid] > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
}

/**
 * The rows, in chunks of `chunk` attempts (with their test runs), oldest
 * first. The window starts at midnight 89 days ago and ends now, so it lies
 * inside a 90-day analytics window and the default retention.
 */
export function* rows({
  attempts,
  services = DEFAULT_SERVICES,
  seed = 7,
  now = Date.now(),
  chunk = 5000,
}) {
  const SERVICES = serviceIds(services);
  const rand = prng(seed);
  const start = Math.floor(now / DAY_MS) * DAY_MS - 89 * DAY_MS;
  const span = now - start;
  // Busy services and the development clusters (first on the promotion
  // path) see more attempts than the rest, as in a real fleet: the busiest
  // service about six times the median one at any fleet size.
  const serviceOf = sampler(
    SERVICES.map((_, i) => 1 / (1 + (i * 5) / services)),
  );
  const clusterOf = sampler([3, 2.5, 2, 1.5, 1, 1]);
  const pairs = new Map();
  let out = { attempts: [], testRuns: [] };
  for (let i = 0; i < attempts; i++) {
    const service = SERVICES[serviceOf(rand())];
    const ci = clusterOf(rand());
    const cluster = CLUSTERS[ci];
    const key = `${cluster}:${service}`;
    const startedAt = start + Math.floor(((i + rand()) * span) / attempts);
    let pair = pairs.get(key);
    if (!pair) {
      pair = { runs: 0, lastGood: null, firstSeen: startedAt };
      pairs.set(key, pair);
    }
    const run = ++pair.runs;
    const build = `1.${Math.floor(run / 100)}.${run % 100}`;
    const r = rand();
    const status =
      r < 0.86
        ? 'SUCCESS'
        : r < 0.94
        ? 'FAILED'
        : r < 0.99
        ? 'ROLLBACK'
        : 'IN_PROGRESS';
    const endedAt =
      status === 'IN_PROGRESS'
        ? null
        : startedAt + Math.floor((2 + rand() * 18) * MINUTE_MS);
    // Most deploys know their commit: minutes to two days before the start.
    const commitAt =
      rand() < 0.9
        ? startedAt - Math.floor(5 * MINUTE_MS + rand() ** 3 * 2 * DAY_MS)
        : null;
    const id = `${key}:${build}:${run}`;
    out.attempts.push({
      id,
      cluster_id: cluster,
      service_id: service,
      build_version: build,
      git_sha: Math.floor(rand() * 0xfffffff)
        .toString(16)
        .padStart(7, '0'),
      started_at: startedAt,
      ended_at: endedAt,
      status,
      trigger:
        status === 'ROLLBACK'
          ? 'rollback'
          : rand() < 0.05
          ? 'manual'
          : ci === 0
          ? 'merge'
          : 'promotion',
      failure_reason: status === 'FAILED' ? 'health check timed out' : null,
      rollback_to_build: status === 'ROLLBACK' ? pair.lastGood : null,
      source: 'bench',
      commit_at: commitAt,
    });
    if (status === 'SUCCESS') pair.lastGood = build;
    const failing = status === 'FAILED' || status === 'ROLLBACK';
    SUITES.forEach((suite, s) => {
      const total = [60, 20, 240][s];
      const failed = failing
        ? Math.ceil(rand() * total * 0.2)
        : rand() < 0.05
        ? 1
        : 0;
      out.testRuns.push({
        event_id: `bench-${i}-${suite}`,
        attempt_id: id,
        cluster_id: cluster,
        service_id: service,
        build_version: build,
        suite_type: suite,
        total,
        passed: total - failed,
        failed,
        skipped: 0,
        duration_sec: Math.round((20 + rand() * 600) * 10) / 10,
        executed_at: startedAt + (s + 1) * MINUTE_MS,
        report_url: null,
        // 0, not false: better-sqlite3 binds no booleans; PostgreSQL reads '0' as false.
        by_build: 0,
      });
    });
    if (out.attempts.length === chunk || i === attempts - 1) {
      yield out;
      out = { attempts: [], testRuns: [] };
    }
  }
  yield {
    attempts: [],
    testRuns: [],
    serviceClusters: [...pairs].map(([key, p]) => {
      const [cluster_id, service_id] = key.split(':');
      return { cluster_id, service_id, first_seen_at: p.firstSeen };
    }),
  };
}

const ATTEMPT_COLUMNS = {
  id: 'text',
  cluster_id: 'text',
  service_id: 'text',
  build_version: 'text',
  git_sha: 'text',
  started_at: 'bigint',
  ended_at: 'bigint',
  status: 'text',
  trigger: 'text',
  failure_reason: 'text',
  rollback_to_build: 'text',
  source: 'text',
  commit_at: 'bigint',
};
const TEST_RUN_COLUMNS = {
  event_id: 'text',
  attempt_id: 'text',
  cluster_id: 'text',
  service_id: 'text',
  build_version: 'text',
  suite_type: 'text',
  total: 'int',
  passed: 'int',
  failed: 'int',
  skipped: 'int',
  duration_sec: 'float8',
  executed_at: 'bigint',
  report_url: 'text',
  by_build: 'boolean',
};
const PAIR_COLUMNS = {
  cluster_id: 'text',
  service_id: 'text',
  first_seen_at: 'bigint',
};

/**
 * PostgreSQL: one `insert … select from unnest(arrays)` per chunk (one bound
 * array per column: no per-row parameters to build or parse, close to COPY
 * speed without a dependency), secondary indexes dropped during the load
 * and rebuilt from their own definitions afterwards, then analyze.
 */
async function loadPg(connection, options) {
  const client = new pg.Client(
    typeof connection === 'string'
      ? { connectionString: connection }
      : connection,
  );
  await client.connect();
  try {
    await client.query('set synchronous_commit = off');
    await client.query("set maintenance_work_mem = '256MB'");
    await client.query(`truncate ${TABLES.join(', ')}`);
    // Indexes that back no constraint (the primary keys and the unique
    // event id stay: dropping those would change the tables' contract).
    const { rows: indexes } = await client.query(
      `select c.relname as name, pg_get_indexdef(i.indexrelid) as def
         from pg_index i
         join pg_class c on c.oid = i.indexrelid
         join pg_class t on t.oid = i.indrelid
        where t.relname = any($1)
          and t.relnamespace = current_schema()::regnamespace
          and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid)`,
      [['dq_attempts', 'dq_test_runs']],
    );
    for (const { name } of indexes) await client.query(`drop index "${name}"`);
    const insert = async (table, columns, objects) => {
      if (objects.length === 0) return;
      const names = Object.keys(columns);
      await client.query(
        `insert into ${table} (${names.join(', ')}) select * from unnest(${names
          .map((n, i) => `$${i + 1}::${columns[n]}[]`)
          .join(', ')})`,
        names.map(n => objects.map(o => o[n])),
      );
    };
    await client.query('begin');
    for (const part of rows(options)) {
      await insert('dq_attempts', ATTEMPT_COLUMNS, part.attempts);
      await insert('dq_test_runs', TEST_RUN_COLUMNS, part.testRuns);
      if (part.serviceClusters)
        await insert('dq_service_clusters', PAIR_COLUMNS, part.serviceClusters);
    }
    await client.query('commit');
    for (const { def } of indexes) await client.query(def);
    await client.query(`analyze ${TABLES.join(', ')}`);
  } finally {
    await client.end();
  }
}

/**
 * SQLite: prepared inserts in one transaction, secondary indexes rebuilt
 * afterwards from the SQL they were created with. No ANALYZE: the plugin
 * never runs one, so the planner sees what it would see in production.
 */
function loadSqlite(filename, options) {
  const db = new Database(filename);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = OFF');
    for (const t of TABLES) db.exec(`delete from ${t}`);
    const indexes = db
      .prepare(
        `select name, sql from sqlite_master
          where type = 'index' and sql is not null
            and tbl_name in ('dq_attempts', 'dq_test_runs')`,
      )
      .all()
      // The unique event id stays, as on PostgreSQL.
      .filter(ix => !/^create unique/i.test(ix.sql));
    for (const { name } of indexes) db.exec(`drop index "${name}"`);
    const statement = (table, columns) => {
      const names = Object.keys(columns);
      const s = db.prepare(
        `insert into ${table} (${names.join(', ')}) values (${names
          .map(n => `@${n}`)
          .join(', ')})`,
      );
      return o => s.run(o);
    };
    const attempt = statement('dq_attempts', ATTEMPT_COLUMNS);
    const testRun = statement('dq_test_runs', TEST_RUN_COLUMNS);
    const pair = statement('dq_service_clusters', PAIR_COLUMNS);
    db.transaction(() => {
      for (const part of rows(options)) {
        part.attempts.forEach(attempt);
        part.testRuns.forEach(testRun);
        part.serviceClusters?.forEach(pair);
      }
    })();
    for (const { sql } of indexes) db.exec(sql);
    db.pragma('synchronous = FULL');
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
}

/**
 * Migrates the database behind `knex` (a no-op when the backend already
 * did) and loads the dataset; returns the seconds it took.
 */
export async function generate(
  knex,
  { attempts, services = DEFAULT_SERVICES, seed = 7, now = Date.now() },
) {
  const t0 = performance.now();
  await knex.migrate.latest({ directory: migrationsDir });
  const { client, connection } = knex.client.config;
  const options = { attempts, services, seed, now };
  if (client === 'pg') {
    // knex parses a connection string into pg's options.
    await loadPg(connection, options);
  } else {
    loadSqlite(connection.filename, options);
  }
  // Loaded around the plugin: its daily rollups and pair states are
  // rebuilt from the rows, by the plugin's own code, as its start does
  // after a bulk load.
  await knex('dq_derived').delete();
  await pluginModule('database/pairStates.ts').ensurePairStates(knex);
  await pluginModule('database/rollups.ts').ensureRollups(knex);
  return (performance.now() - t0) / 1000;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = cliArgs();
  const db = args.db ?? 'sqlite';
  if (!args.connection) {
    console.error(
      'usage: generate.mjs --db pg|sqlite --connection <url|file> [--attempts N] [--services S] [--seed S]',
    );
    process.exit(2);
  }
  const knex = knexFactory(
    db === 'pg'
      ? { client: 'pg', connection: args.connection }
      : {
          client: 'better-sqlite3',
          connection: { filename: args.connection },
          useNullAsDefault: true,
        },
  );
  try {
    const attempts = Number(args.attempts ?? 1_000_000);
    const services = Number(args.services ?? DEFAULT_SERVICES);
    const seconds = await generate(knex, {
      attempts,
      services,
      seed: Number(args.seed ?? 7),
    });
    console.log(
      `${attempts} attempts, ${
        attempts * 3
      } test runs of ${services} services loaded in ${seconds.toFixed(1)} s`,
    );
  } finally {
    await knex.destroy();
  }
}
