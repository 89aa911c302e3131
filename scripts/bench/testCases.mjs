// Per-test history at its stated size: `--services` services (default 200)
// each running a report of `--tests` tests (default 3,000) `--reports`
// times a day (default 20), for `--days` days (default 2; 90 is the
// retention window, see below). Every report goes through the plugin's own
// case write (the report route's path below the HTTP layer), timed; the
// tables' size on disk is then measured, and the reads a service's page
// makes (its flaky tests over 30 days, one test's history) are timed with
// the event loop's longest stall, through the SQLite reader threads as the
// backend reads.
//
// Storage grows with the reports (one outcome blob and a few failure rows
// each) while the name dictionary and the case sets are paid once: the
// run reports the bytes per report, and their product with the reports of
// 90 days, beside the measured total. `--days 90` measures it whole
// (hours on this machine).
//
//   node scripts/bench/testCases.mjs [--services 200] [--tests 3000]
//     [--reports 20] [--days 2] [--db sqlite|pg|both]
import { cliArgs } from '../lib/args.mjs';
import { databaseFor, log, migratedDatabase } from '../reliability/harness.mjs';
import { pluginModule, timed } from './direct.mjs';

const args = cliArgs();
const SERVICES = Number(args.services ?? 200);
const TESTS = Number(args.tests ?? 3000);
const REPORTS = Number(args.reports ?? 20);
const DAYS = Number(args.days ?? 2);
const kinds = args.db === 'both' || !args.db ? ['sqlite', 'pg'] : [args.db];
const DAY_MS = 86_400_000;
const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;

const { TestCaseStore } = pluginModule('database/TestCases.ts');
const { readerFor } = pluginModule('database/sqliteReader.ts');

const serviceId = i => `svc-${String(i).padStart(4, '0')}`;

/** A deterministic pseudo-random sequence, so every run measures the same data. */
function random(seed) {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

/**
 * One report of a service on day `d`: its tests (one more each day, so
 * each day has a new set of tests), about 0.2 % failing with a message
 * holding numbers, and some passing after a retry.
 */
function report(s, d, r) {
  const next = random(s * 1_000_003 + d * 1009 + r);
  const count = TESTS + d;
  const cases = new Array(count);
  for (let t = 0; t < count; t++) {
    const roll = next();
    const failed = roll < 0.002;
    const retried = !failed && roll < 0.0025;
    cases[t] = {
      suite: `suite-${t % 40}`,
      className: `com.example.svc${s}.Module${t % 300}Test`,
      name: `test case number ${t} of service ${s}`,
      status: failed ? 'failed' : roll > 0.99 ? 'skipped' : 'passed',
      durationMs: Math.floor(next() * 2000),
      retries: retried ? 1 : failed ? Math.floor(next() * 2) : 0,
      ...(failed || retried
        ? {
            message: `expected ${Math.floor(next() * 500)} but was ${Math.floor(
              next() * 500,
            )} after ${Math.floor(next() * 9000)} ms`,
          }
        : {}),
    };
  }
  return cases;
}

const TABLES = [
  'dq_test_cases',
  'dq_test_case_sets',
  'dq_test_run_cases',
  'dq_test_case_failures',
  'dq_failure_signatures',
];

/**
 * Bytes each case table takes with its indexes: PostgreSQL's relation
 * sizes, SQLite's pages (dbstat).
 */
async function storageOf(kind, knex) {
  const sizes = {};
  for (const table of TABLES) {
    if (kind === 'pg') {
      const { rows } = await knex.raw(
        'select pg_total_relation_size(?) as bytes',
        [table],
      );
      sizes[table] = Number(rows[0].bytes);
    } else {
      const [row] = await knex.raw(
        'select sum(pgsize) as bytes from dbstat where name in (select name from sqlite_master where tbl_name = ?)',
        [table],
      );
      sizes[table] = Number(row.bytes);
    }
  }
  return sizes;
}

const mib = bytes => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

for (const kind of kinds) {
  const database = databaseFor(kind, `cases-bench-${Date.now()}`);
  const knex = await migratedDatabase(database);
  try {
    if (kind === 'sqlite') await knex.raw('pragma journal_mode = WAL');
    const store = new TestCaseStore(knex);
    const writes = [];
    const firstOfDay = [];
    const t0 = performance.now();
    let reports = 0;
    for (let d = DAYS; d >= 1; d--) {
      for (let r = 0; r < REPORTS; r++) {
        const runs = [];
        for (let s = 0; s < SERVICES; s++) {
          const eventId = `bench:${s}:${d}:${r}`;
          const executedAt = today - d * DAY_MS + r * 3_600_000;
          const cases = report(s, DAYS - d, r);
          const w0 = performance.now();
          await store.write([{ eventId, executedAt, cases }]);
          (r === 0 ? firstOfDay : writes).push(performance.now() - w0);
          runs.push({
            event_id: eventId,
            attempt_id: `mira-us-west-2:${serviceId(s)}:1.${d}.0:1`,
            cluster_id: 'mira-us-west-2',
            service_id: serviceId(s),
            build_version: `1.${d}.0`,
            suite_type: 'FUNCTIONAL',
            total: cases.length,
            passed: 0,
            failed: 0,
            skipped: 0,
            duration_sec: 1,
            executed_at: executedAt,
            by_build: false,
          });
          reports += 1;
        }
        // The runs themselves, as the event pipeline writes them.
        for (let i = 0; i < runs.length; i += 200) {
          await knex('dq_test_runs').insert(runs.slice(i, i + 200));
        }
      }
      log(
        `${kind}: day ${DAYS - d + 1} of ${DAYS}: ${reports} reports in ${(
          (performance.now() - t0) /
          1000
        ).toFixed(0)} s`,
      );
    }
    const seconds = (performance.now() - t0) / 1000;
    const stats = list => {
      const sorted = [...list].sort((a, b) => a - b);
      const at = q =>
        sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
      return `p50 ${at(0.5).toFixed(1)} ms, p99 ${at(0.99).toFixed(1)} ms`;
    };
    const outcomes = reports * TESTS;
    log(
      `${kind}: wrote ${reports} reports of ${TESTS}+ tests (${(
        outcomes / 1e6
      ).toFixed(1)}M outcomes) in ${seconds.toFixed(0)} s: ${(
        reports / seconds
      ).toFixed(0)} reports/s; a report whose set of tests is known ${stats(
        writes,
      )}, the day's first (a new set) ${stats(firstOfDay)}${
        kind === 'sqlite'
          ? ' (on SQLite each of its statements holds the event loop: a write is several)'
          : ''
      }`,
    );
    const sizes = await storageOf(kind, knex);
    const bytes = Object.values(sizes).reduce((a, b) => a + b, 0);
    const counts = {};
    for (const table of TABLES) {
      counts[table] = Number((await knex(table).count({ n: '*' }))[0].n);
    }
    // Names are paid once per test; a set once per change of a service's
    // tests (here daily); the rest once per report.
    const names = sizes.dq_test_cases;
    const sets = sizes.dq_test_case_sets;
    const perReport = (bytes - names - sets) / reports;
    const full = SERVICES * REPORTS * 90;
    log(
      `${kind}: ${mib(bytes)} (${(bytes / outcomes).toFixed(
        2,
      )} bytes per test outcome): names ${mib(names)}, sets ${mib(
        sets,
      )}, ${perReport.toFixed(
        0,
      )} bytes per report (outcomes and failures); rows ${JSON.stringify(
        counts,
      )}. At 90 days (${full} reports): ${(
        (names + (sets * 90) / DAYS + perReport * full) /
        2 ** 30
      ).toFixed(1)} GiB`,
    );

    const reads = kind === 'sqlite' ? readerFor(knex) : knex;
    const read = new TestCaseStore(knex, reads);
    const window = { from: today - 30 * DAY_MS, to: today };
    await read.flaky(serviceId(0), window, 5);
    const flaky = await timed(10, i =>
      read.flaky(serviceId((i * 17) % SERVICES), window, 5),
    );
    const listed = await read.flaky(serviceId(1), window, 5);
    log(
      `${kind}: a service's flaky tests over 30 days (${
        DAYS * REPORTS
      } runs of ${TESTS} tests; ${listed.tests.length} flaky): ${flaky}`,
    );
    const caseId = Number(
      listed.tests[0]?.caseId ??
        (await knex('dq_test_case_failures').first('case_id')).case_id,
    );
    const history = await timed(10, () =>
      read.history(serviceId(1), caseId, window, 30, 5),
    );
    log(`${kind}: one test's history (30 runs): ${history}`);
    if (reads !== knex) await reads.destroy();
  } finally {
    await knex.destroy();
    await database.drop();
  }
}
