// The cost reads at fleet size: `--services` services (default 5,000) on
// six cluster-regions with a figure per day for 90 days (2.7M rows at the
// default), and their deployments; then the cluster-region's and a
// service's 30-day cost answers, as the routes compute them (through the
// SQLite reader threads, as the backend reads), with the event loop's
// longest stall while they run. Writes go through the plugin's own cost
// write (the webhook's path below the HTTP layer), timed per 1,000 figures.
//
//   node scripts/bench/cost.mjs [--services 5000] [--db sqlite|pg|both]
import { cliArgs } from '../lib/args.mjs';
import { databaseFor, log, migratedDatabase } from '../reliability/harness.mjs';
import { pluginModule, timed } from './direct.mjs';

const args = cliArgs();
const SERVICES = Number(args.services ?? 5000);
const kinds = args.db === 'both' || !args.db ? ['sqlite', 'pg'] : [args.db];
const CLUSTERS = [
  'mira-us-west-2',
  'mira-us-east-1',
  'pavo-us-west-2',
  'pavo-eu-west-1',
  'aquila-us-east-1',
  'aquila-eu-central-1',
];
const DAYS = 90;
const DAY_MS = 86_400_000;
const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;

const { writeCosts, Costs } = pluginModule('database/Costs.ts');
const { readerFor } = pluginModule('database/sqliteReader.ts');

const serviceId = i => `svc-${String(i).padStart(5, '0')}`;

/** Bulk rows straight into the tables: the history the reads run on. */
async function seed(knex) {
  const costs = [];
  const flush = async (table, rows) => {
    for (let i = 0; i < rows.length; i += 500) {
      await knex(table).insert(rows.slice(i, i + 500));
    }
    rows.length = 0;
  };
  for (let s = 0; s < SERVICES; s++) {
    for (const [c, clusterId] of CLUSTERS.entries()) {
      for (let d = 1; d <= DAYS; d++) {
        costs.push({
          service_id: serviceId(s),
          cluster_id: clusterId,
          day: today - d * DAY_MS,
          source: 'bench',
          currency: 'USD',
          amount_micro: ((s % 97) + c + 1) * 1_000_000 + d,
          estimated: d <= 2,
          event_id: `bench:${s}:${c}:${d}`,
          received_at: today,
        });
      }
      if (costs.length >= 5000) await flush('dq_costs', costs);
    }
  }
  await flush('dq_costs', costs);
  // A deployment of each service on each cluster-region every third day.
  const attempts = [];
  for (let s = 0; s < SERVICES; s++) {
    for (const [c, clusterId] of CLUSTERS.entries()) {
      for (let d = 1 + ((s + c) % 3); d <= 30; d += 3) {
        const startedAt = today - d * DAY_MS + 36_000_000;
        attempts.push({
          id: `${clusterId}:${serviceId(s)}:1.${d}.0:1`,
          cluster_id: clusterId,
          service_id: serviceId(s),
          build_version: `1.${d}.0`,
          git_sha: 'abc1234',
          started_at: startedAt,
          ended_at: startedAt + 600_000,
          status: (s + d) % 11 === 0 ? 'FAILED' : 'SUCCESS',
          trigger: 'merge',
          source: 'bench',
        });
      }
      if (attempts.length >= 5000) await flush('dq_attempts', attempts);
    }
  }
  await flush('dq_attempts', attempts);
}

for (const kind of kinds) {
  const database = databaseFor(kind, `cost-bench-${Date.now()}`);
  const knex = await migratedDatabase(database);
  try {
    let t0 = performance.now();
    await seed(knex);
    const rows = Number((await knex('dq_costs').count({ n: '*' }))[0].n);
    log(
      `${kind}: ${rows} cost rows of ${SERVICES} services × ${
        CLUSTERS.length
      } cluster-regions × ${DAYS} days seeded in ${(
        (performance.now() - t0) /
        1000
      ).toFixed(0)} s`,
    );

    // Writes: a day's figures of 1,000 services × 6 cluster-regions, as
    // events, then the same again restated (every figure replaced).
    const figures = (amount, at) =>
      Array.from({ length: 6000 }, (_, i) => ({
        eventId: `w:${amount}:${i}`,
        source: 'aws-cost-explorer',
        receivedAt: new Date(at).toISOString(),
        payload: {
          serviceId: serviceId(i % 1000),
          clusterId: CLUSTERS[Math.floor(i / 1000)],
          date: new Date(today).toISOString().slice(0, 10),
          amount,
          currency: 'USD',
        },
      }));
    for (const [label, events] of [
      ['new', figures(12.5, today + 1)],
      ['restated', figures(13.25, today + 2)],
    ]) {
      t0 = performance.now();
      for (let i = 0; i < events.length; i += 500) {
        await knex.transaction(tx => writeCosts(tx, events.slice(i, i + 500)));
      }
      const perK = ((performance.now() - t0) / events.length) * 1000;
      log(
        `${kind}: write 6,000 ${label} figures: ${perK.toFixed(
          0,
        )} ms per 1,000`,
      );
    }

    const reads = readerFor(knex);
    const costs = new Costs(reads);
    const window = {
      from: today - 29 * DAY_MS,
      to: today + DAY_MS,
      compareDays: 7,
    };
    const all = { all: true };
    // Warm the reader threads' statement caches.
    await costs.report({ clusterId: CLUSTERS[4], visibility: all }, window);
    log(
      `${kind}: a cluster-region's 30-day cost (${SERVICES} services): ${await timed(
        10,
        i =>
          costs.report(
            { clusterId: CLUSTERS[i % CLUSTERS.length], visibility: all },
            window,
          ),
      )}`,
    );
    log(
      `${kind}: a service's 30-day cost: ${await timed(50, i =>
        costs.report({ serviceId: serviceId((i * 97) % SERVICES) }, window),
      )}`,
    );
    if (reads !== knex) await reads.destroy();
  } finally {
    await knex.destroy();
    await database.drop();
  }
}
