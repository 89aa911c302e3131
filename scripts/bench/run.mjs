#!/usr/bin/env node
// `yarn bench`: every speed figure of quality-bar.md beside its bare limit,
// in one run, on PostgreSQL and/or SQLite; writes docs/performance.md.
//
//   yarn bench [--db pg|sqlite|both] [--attempts 1000000] [--services 5000]
//              [--users 1000] [--scenario-seconds 180] [--smoke]
//              [--messages 20000] [--read-duration 10] [--http-duration 10]
//              [--port 7127] [--max-seconds 0] [--report] [--profile]
//
// --smoke: a small N and short runs (under 5 minutes, enforced), for the
// test command; it checks only that every figure came out and is sane, and
// leaves docs/performance.md alone unless --report is given.
// --profile: the backend takes a CPU profile of each read route's run, and
// the log says where its main thread went: the plugin, its database
// access, GC, the request path. The profiler is work of its own: leave it
// off for the figures of a report.
import Database from 'better-sqlite3';
import knexFactory from 'knex';
import { loadavg } from 'node:os';
import {
  databaseFor,
  killBackends,
  log,
  sleep,
  startBackend,
  startSqs,
} from '../reliability/harness.mjs';
import { cliArgs } from '../lib/args.mjs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { catalogEntities, generate } from './generate.mjs';
import { benchScenario } from './scenario.mjs';
import { benchHttp } from './http.mjs';
import { benchIngest } from './ingest.mjs';
import { benchReads } from './reads.mjs';
import { profileBackends } from './profileSummary.mjs';
import { writeReport } from './report.mjs';
import { rssWatcher } from './rss.mjs';

const argv = process.argv.slice(2);
const flags = new Set(
  argv.filter(a => ['--smoke', '--report', '--profile'].includes(a)),
);
const args = cliArgs(argv.filter(a => !flags.has(a)));
const smoke = flags.has('--smoke');
if (flags.has('--profile')) profileBackends();
const options = {
  dbs: (args.db ?? 'both') === 'both' ? ['pg', 'sqlite'] : [args.db],
  attempts: Number(args.attempts ?? (smoke ? 5_000 : 1_000_000)),
  services: Number(args.services ?? (smoke ? 200 : 5_000)),
  users: Number(args.users ?? (smoke ? 20 : 1_000)),
  scenarioSeconds: Number(args['scenario-seconds'] ?? (smoke ? 20 : 180)),
  messages: Number(args.messages ?? (smoke ? 1_000 : 20_000)),
  // Concurrent SQS pollers, the plugin's and the bare loop's alike.
  pollers: 4,
  readDuration: Number(args['read-duration'] ?? (smoke ? 1 : 10)),
  httpDuration: Number(args['http-duration'] ?? (smoke ? 1 : 10)),
  maxSeconds: Number(args['max-seconds'] ?? (smoke ? 300 : 0)),
  readConnections: 100,
  httpConnections: 50,
  // The backend's knex pool (Backstage's default, max 10) for the direct side.
  pool: 10,
  port: Number(args.port ?? 7127),
};

/** The backend the webhook and read figures are taken from. */
function readBackend(database, port, catalogFile) {
  return startBackend({
    port,
    database,
    catalogFile,
    // The generated history reaches back 90 days: the retention task must
    // not trim it (or spend CPU on it) while the reads are measured.
    retention: { days: 365 },
    sourceMaps: false,
  });
}

/**
 * The harness's connection settings with the backend's pool size on
 * PostgreSQL (knex's default, 10). SQLite keeps knex's single connection,
 * as in the backend: a second writer would only wait on the file lock.
 */
function pooledKnex(kind, database, max) {
  const knex = database.knex();
  if (kind !== 'pg') return knex;
  const config = knex.client.config;
  knex.destroy();
  return knexFactory({ ...config, pool: { min: 0, max } });
}

async function benchDatabase(kind, rss) {
  const runId = `bench-${kind}-${Date.now()}`;
  const timings = {};
  const timed = async (phase, fn) => {
    rss.phase(`${kind}: ${phase}`);
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      timings[phase] = (performance.now() - t0) / 1000;
      log(`${kind}: ${phase} took ${Math.round(timings[phase])} s`);
    }
  };
  const database = databaseFor(kind, runId);
  const knex = pooledKnex(kind, database, options.pool);
  let sqs;
  let backend;
  // What the watchdog must not leave behind if it cuts this run short.
  const leftovers = async () => {
    await sqs?.stop();
    await database.drop?.();
  };
  cleanups.add(leftovers);
  try {
    sqs = await startSqs({ visibility: 30 });
    const ingest = await timed('SQS ingest', () =>
      benchIngest({
        database,
        knex,
        sqs,
        port: options.port,
        messages: options.messages,
        pollers: options.pollers,
        rss,
        catalogFile,
      }),
    );
    await sqs.stop();
    sqs = undefined;

    await timed('generate', () =>
      generate(knex, {
        attempts: options.attempts,
        services: options.services,
      }),
    );

    const start = async () => {
      const started = await readBackend(database, options.port, catalogFile);
      let stderr = '';
      started.child.stderr.on('data', d => {
        stderr = (stderr + d).slice(-2000);
      });
      // A backend dying under load is a finding, not a bench bug: say why.
      started.child.once('exit', (code, signal) => {
        if (started === backend)
          log(`backend exited (${code ?? signal}) during the run: ${stderr}`);
      });
      backend = started;
      rss.watch(backend.child.pid);
    };
    const restart = async () => {
      const old = backend;
      backend = undefined;
      rss.unwatch(old.child.pid);
      old.kill('SIGKILL');
      if (kind === 'pg') {
        // A killed client's queries run on until PostgreSQL next writes to it.
        await knex.raw(
          `select pg_cancel_backend(pid) from pg_stat_activity
            where datname = current_database() and pid <> pg_backend_pid()
              and state = 'active'`,
        );
      }
      await start();
    };
    await timed('backend start', start);
    // The dev backend's own footprint before any load, to tell it apart
    // from what the load adds.
    rss.phase(`${kind}: idle`);
    await sleep(2000);
    const baseUrl = `http://127.0.0.1:${options.port}`;
    const eventLoop = () => backend.eventLoop();
    const reads = await timed('reads', () =>
      benchReads({
        baseUrl,
        knex,
        connections: options.readConnections,
        duration: options.readDuration,
        pool: options.pool,
        restart,
        eventLoop,
        services: options.services,
        backendPid: () => backend?.child.pid,
      }),
    );
    await eventLoop();
    const scenario = await timed(`${options.users}-user scenario`, () =>
      benchScenario({
        baseUrl,
        users: options.users,
        seconds: options.scenarioSeconds,
        services: options.services,
      }),
    );
    scenario.loop = await eventLoop();
    log(
      `${kind}: ${scenario.users} users, ${scenario.requests} requests in ${
        scenario.seconds
      } s: p50/p99/max ${scenario.overall.p50.toFixed(
        0,
      )}/${scenario.overall.p99.toFixed(0)}/${scenario.overall.max.toFixed(
        0,
      )} ms, ${scenario.errors} errors ${JSON.stringify(
        scenario.errorKinds,
      )}; ${scenario.writes} writes (${
        scenario.writeErrors
      } failed); by view ${JSON.stringify(
        scenario.views,
      )}; event loop p99/max ${scenario.loop.p99}/${scenario.loop.max} ms`,
    );
    await eventLoop();
    const http = await timed('webhook', () =>
      benchHttp({
        baseUrl,
        connections: options.httpConnections,
        duration: options.httpDuration,
        services: options.services,
      }),
    );
    http.loop = await eventLoop();
    rss.phase(`${kind}: done`);
    const peaks = rss.peaks();
    return {
      result: {
        ingest,
        reads,
        scenario,
        http: { ...http, connections: options.httpConnections },
        readConnections: options.readConnections,
        pool: options.pool,
        rssMiB: Math.max(
          0,
          ...Object.entries(peaks)
            .filter(([phase]) => phase.startsWith(`${kind}:`))
            .map(([, mib]) => mib),
        ),
        idleMiB: peaks[`${kind}: idle`],
      },
      timings,
      version:
        kind === 'pg'
          ? `PostgreSQL ${
              (await knex.raw('show server_version')).rows[0].server_version
            }`
          : `SQLite ${
              new Database(':memory:')
                .prepare('select sqlite_version() as v')
                .get().v
            } (better-sqlite3)`,
    };
  } finally {
    if (backend) {
      const last = backend;
      backend = undefined;
      rss.unwatch(last.child.pid);
      await last.stop().catch(() => last.kill('SIGKILL'));
    }
    cleanups.delete(leftovers);
    await sqs?.stop();
    await knex.destroy();
    await database.drop?.();
  }
}

/** Smoke: every figure present, positive and error-free; not the targets. */
function insane(kind, r) {
  const problems = [];
  const positive = (what, v) => {
    if (!(Number.isFinite(v) && v > 0)) problems.push(`${kind} ${what}: ${v}`);
  };
  positive('plugin ingest events/s', r.ingest.plugin);
  positive('bare ingest events/s', r.ingest.bare);
  for (const [side, x] of Object.entries(r.http)) {
    if (typeof x !== 'object' || side === 'loop') continue;
    positive(`${side} req/s`, x.rps);
    if (x.errors) problems.push(`${kind} ${side}: ${x.errors} errors`);
  }
  for (const read of r.reads) {
    positive(`${read.name} alone ms`, read.soloMs);
    for (const side of ['plugin', 'direct']) {
      if (read[side].errors)
        problems.push(`${kind} ${read.name} ${side}: errors`);
      // A slow analytics query may give no answer within a 1 s smoke run
      // on a busy machine; lists always do.
      if (read.kind === 'list')
        positive(`${read.name} ${side} answers`, read[side].completed);
    }
  }
  positive('scenario requests', r.scenario.requests);
  if (r.scenario.writeErrors)
    problems.push(`${kind} scenario: ${r.scenario.writeErrors} failed writes`);
  if (r.scenario.errors)
    problems.push(
      `${kind} scenario: ${r.scenario.errors} errors ${JSON.stringify(
        r.scenario.errorKinds,
      )}`,
    );
  positive('backend RSS', r.rssMiB);
  return problems;
}

const loadBefore = loadavg();
// Other work on the shared machine skews every figure: keep its trace.
let loadPeak = loadBefore[0];
const loadTimer = setInterval(() => {
  loadPeak = Math.max(loadPeak, loadavg()[0]);
}, 5000);
loadTimer.unref();
const rss = rssWatcher();
const cleanups = new Set();
// Every wait in the bench is bounded, but a smoke run inside the test
// command must be bounded as a whole: past the limit, kill and fail.
const watchdog =
  options.maxSeconds &&
  setTimeout(async () => {
    log(`FAILED: the run took over ${options.maxSeconds} s`);
    killBackends(); // starting ones too
    for (const cleanup of cleanups) await cleanup().catch(() => {});
    process.exit(1);
  }, options.maxSeconds * 1000);
// The fleet's catalog, served by the backend's in-memory catalog.
const catalogDir = mkdtempSync(join(tmpdir(), 'dq-bench-catalog-'));
const catalogFile = join(catalogDir, 'entities.json');
writeFileSync(catalogFile, JSON.stringify(catalogEntities(options.services)));
const results = {};
const timings = {};
const versions = [];
let failed = false;
try {
  for (const kind of options.dbs) {
    log(
      `${kind}: ${options.attempts} attempts, ${options.messages} messages${
        smoke ? ' (smoke)' : ''
      }`,
    );
    const run = await benchDatabase(kind, rss);
    results[kind] = run.result;
    timings[kind] = run.timings;
    versions.push(run.version);
    const problems = insane(kind, run.result);
    if (problems.length) {
      failed = true;
      log(`FAILED: ${problems.join('; ')}`);
    }
  }
  if (!smoke || flags.has('--report')) {
    const file = writeReport({
      command: `yarn bench ${argv.join(' ')}`.trim(),
      options,
      results,
      timings,
      env: { loadBefore, loadPeak, versions: versions.join(', ') },
    });
    log(`wrote ${file}`);
  }
  log(
    `peak backend RSS ${Math.round(
      rss.peakMiB(),
    )} MiB; by phase: ${Object.entries(rss.peaks())
      .map(([phase, mib]) => `${phase} ${Math.round(mib)}`)
      .join(', ')}`,
  );
  if (!failed) log('ok: every figure measured');
} catch (error) {
  failed = true;
  log('FAILED:', error.stack ?? error.message);
} finally {
  rmSync(catalogDir, { recursive: true, force: true });
  rss.stop();
  if (watchdog) clearTimeout(watchdog);
}
process.exit(failed ? 1 : 0);
